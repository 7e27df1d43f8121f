#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests when it is missing (no browser download
# by a test tool: the system one is used). Never fails the build: browser tests skip
# with a visible reason if Chromium cannot be had.
set -u
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != "0" ]; then echo "browser-install: not root, cannot apt-get install chromium"; exit 0; fi
echo "browser-install: installing Debian chromium"
(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
  || echo "browser-install: apt-get install chromium failed; browser tests will be skipped"
