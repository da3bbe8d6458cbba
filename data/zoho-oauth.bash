# bash completion for zoho-oauth                          -*- shell-script -*-
#
# Options and data centres come from 'zoho-oauth COMMAND --help' (its
# wrapped lines joined for the data centres), and before the command from
# 'zoho-oauth --help', so they never drift from the program; profile names
# from the config file and the stored tokens. Options may come before the
# command, as zoho-oauth takes them.

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

# Whether an option takes the next word as its value: what the command is
# found past, before it, and what curl's arguments start after.
_zoho_oauth_takes_value()
{
	case $1 in -p|--profile|--token-file|--client-id|--client-secret-file|--scope|--code|--soid|--save-profile|--dc|--accounts-url|--redirect-uri|--access-type|--timeout|--min-valid|--service|--allow-host|--connect-timeout|--max-time|--lock-timeout|--store|--to|--keyring-timeout|--cacert)
		return 0 ;;
	esac
	return 1
}

# The options a command's help lists (none given: those every command
# takes, from the general help).
_zoho_oauth_options()
{
	"${COMP_WORDS[0]}" ${1:+"$1"} --help 2>/dev/null |
		sed -n 's/^  \(-[a-z], \|    \)\(--[a-z-]*\).*/\2/p'
}

_zoho_oauth()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local commands="login token header refresh status revoke exchange migrate curl"
	local at=1 w

	COMPREPLY=()
	# The command is the first word past the options before it and their
	# values ("zoho-oauth -p work token"), as zoho-oauth finds it.
	while [ "$at" -lt "$COMP_CWORD" ]; do
		w=${COMP_WORDS[at]}
		case $w in
		--) break ;;
		--*=*) ;;
		-?*) _zoho_oauth_takes_value "$w" && at=$((at + 1)) ;;
		*) break ;;
		esac
		at=$((at + 1))
	done
	local cmd=
	[ "$at" -lt "$COMP_CWORD" ] && cmd=${COMP_WORDS[at]}
	if [ "$cmd" = curl ]; then
		# Ours up to the URL or path (or "--"), curl's from there on.
		local i=$((at + 1))
		while [ "$i" -lt "$COMP_CWORD" ]; do
			w=${COMP_WORDS[i]}
			case $w in
			--) i=$((i + 1)); break ;;
			-*)
				_zoho_oauth_takes_value "$w" && i=$((i + 1))
				i=$((i + 1)); continue ;;
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
	--client-id|--scope|--accounts-url|--redirect-uri|--timeout|--connect-timeout|--max-time|--min-valid|--lock-timeout|--keyring-timeout|--code|--soid|--save-profile)
		return ;;
	esac
	if [ -z "$cmd" ]; then
		# The command, or an option before it: those every command takes.
		case $cur in
		-*) COMPREPLY=($(compgen -W "$(_zoho_oauth_options)" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -W "$commands help" -- "$cur")) ;;
		esac
		return
	fi
	if [ "$cmd" = help ]; then
		[ "$COMP_CWORD" -eq $((at + 1)) ] && COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		return
	fi
	COMPREPLY=($(compgen -W "$(_zoho_oauth_options "$cmd")" -- "$cur"))
}

complete -F _zoho_oauth zoho-oauth
