#!/bin/sh
# $BROWSER for the real-browser test: headless Chromium loads the consent
# URL, follows the redirects to the loopback listener and prints the final
# page's DOM to $CHROMIUM_DOM; its console and errors go to $CHROMIUM_LOG.
# The flags keep it off the network (this machine has none) and out of the
# user's profile.
exec "${CHROMIUM:-chromium}" --headless --no-sandbox --disable-gpu --disable-quic \
	--no-first-run --disable-background-networking --disable-component-update \
	--disable-sync --disable-extensions --enable-logging=stderr --v=0 \
	--user-data-dir="$CHROMIUM_PROFILE" --dump-dom "$1" \
	>"$CHROMIUM_DOM" 2>"$CHROMIUM_LOG"
