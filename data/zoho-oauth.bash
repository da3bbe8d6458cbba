# bash completion for zoho-oauth                          -*- shell-script -*-
#
# Options and data centres come from 'zoho-oauth COMMAND --help' (its
# wrapped lines joined for the data centres), so they
# never drift from the program; profile names from the config file and the
# stored tokens.

_zoho_oauth_profiles()
{
	local config="${XDG_CONFIG_HOME:-$HOME/.config}/zoho-oauth/config"
	local data="${XDG_DATA_HOME:-$HOME/.local/share}/zoho-oauth"
	local f
	{
		[ -r "$config" ] && sed -n 's/^[[:space:]]*\[profile[[:space:]]\{1,\}\([A-Za-z0-9._-]\{1,\}\)\][[:space:]]*$/\1/p' "$config"
		for f in "$data"/*.json; do
			[ -e "$f" ] && f=${f##*/} && printf '%s\n' "${f%.json}"
		done
	} | sort -u
}

_zoho_oauth()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local commands="login token header refresh status revoke exchange migrate curl help"

	COMPREPLY=()
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
		return
	fi
	if [ "${COMP_WORDS[1]}" = curl ]; then
		# Ours up to the URL or path (or "--"), curl's from there on.
		local i=2 w
		while [ "$i" -lt "$COMP_CWORD" ]; do
			w=${COMP_WORDS[i]}
			case $w in
			--) i=$((i + 1)); break ;;
			-p|--profile|--token-file|--min-valid|--service|--allow-host|--connect-timeout|--max-time|--lock-timeout|--keyring-timeout|--cacert)
				i=$((i + 2)); continue ;;
			-*) i=$((i + 1)); continue ;;
			esac
			break
		done
		if [ "$i" -lt "$COMP_CWORD" ]; then
			if declare -F _comp_command_offset >/dev/null || declare -F _command_offset >/dev/null; then
				COMP_WORDS[i - 1]=curl
				if declare -F _comp_command_offset >/dev/null; then
					_comp_command_offset $((i - 1))
				else
					_command_offset $((i - 1))
				fi
			else
				compopt -o filenames 2>/dev/null
				COMPREPLY=($(compgen -f -- "$cur"))
			fi
			return
		fi
	fi
	case $prev in
	--service)
		COMPREPLY=($(compgen -W "cliq api" -- "$cur"))
		return ;;
	--allow-host)
		return ;;
	-p|--profile)
		COMPREPLY=($(compgen -W "$(_zoho_oauth_profiles)" -- "$cur"))
		return ;;
	--dc)
		COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" login --help 2>/dev/null | tr -s '\n ' '  ' |
			sed -n 's/.*data centre: \([a-z, ]*\) (.*/\1/p' | tr -d ,)" -- "$cur"))
		return ;;
	--access-type)
		COMPREPLY=($(compgen -W "offline online" -- "$cur"))
		return ;;
	--store|--to)
		COMPREPLY=($(compgen -W "file keyring postgresql:// service=" -- "$cur"))
		return ;;
	--token-file|--client-secret-file|--cacert)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--client-id|--scope|--accounts-url|--redirect-uri|--timeout|--connect-timeout|--max-time|--min-valid|--lock-timeout|--keyring-timeout|--code|--save-profile)
		return ;;
	esac
	if [ "${COMP_WORDS[1]}" = help ]; then
		[ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		return
	fi
	local opts
	opts=$("${COMP_WORDS[0]}" "${COMP_WORDS[1]}" --help 2>/dev/null |
		sed -n 's/^  \(-[a-z], \|    \)\(--[a-z-]*\).*/\2/p')
	COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}

complete -F _zoho_oauth zoho-oauth
