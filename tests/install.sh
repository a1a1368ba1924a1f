#!/usr/bin/env bash
# `make install-tools` (everything but the module: no kernel tree) into a
# scratch DESTDIR, with the default prefix and with prefix=/usr/local:
# every file where it belongs with its mode and nothing else; the udev
# rule, the generator, the monitor's unit and the initramfs scripts name
# the tool at its installed path; the completions and the shell scripts
# parse; the man pages render without warnings; dm-remap-tool(8) and the
# completions cover every command and no hidden one. Prints TAP lines
# (`ok - install: ...`, 19 of them) and exits non-zero on a failure.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1

failed=0
ok() { echo "ok - install: $*"; }
not_ok() { echo "not ok - install: $*"; failed=1; }
skip() { echo "ok - install: $1 # SKIP $2"; }
# diag FILE: FILE's lines as TAP comments.
diag() { sed 's/^/#   /' "$1"; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# The files and modes of an install under prefix $1.
expected() {
	local p=$1
	cat <<-EOF
		755 $p/sbin/dm-remap-tool
		644 $p/lib/udev/rules.d/61-dm-remap.rules
		755 $p/lib/systemd/system-generators/dm-remap-generator
		644 $p/lib/systemd/system/dm-remap-monitor.service
		644 $p/share/man/man8/dm-remap-tool.8
		644 $p/share/man/man8/dm-remap-generator.8
		644 $p/share/man/man5/remaptab.5
		644 $p/share/bash-completion/completions/dm-remap-tool
		644 $p/share/zsh/vendor-completions/_dm-remap-tool
		644 $p/share/fish/vendor_completions.d/dm-remap-tool.fish
		755 $p/share/initramfs-tools/hooks/dm-remap
		755 $p/share/initramfs-tools/scripts/local-top/dm-remap
		755 $p/share/initramfs-tools/scripts/local-block/dm-remap
	EOF
}

# install PREFIX: installs into a fresh DESTDIR (printed) and checks it.
install_under() {
	local p=$1 dest=$scratch/root${1//\//-} out=$scratch/out
	mkdir -p "$dest"
	if make -s install-tools DESTDIR="$dest" prefix="$p" >"$out" 2>&1; then
		ok "make install-tools prefix=$p"
	else
		not_ok "make install-tools prefix=$p"
		diag "$out" | tail -30
	fi

	expected "$p" | sort -k2 >"$scratch/want"
	(cd "$dest" && find . -type f -printf '%m /%P\n' | sed 's|^\([0-7]*\) //|\1 /|') | sort -k2 >"$scratch/have"
	if join -1 2 -2 2 -o 1.1,2.1,0 "$scratch/want" "$scratch/have" | awk '$1 != $2' | grep -q . ||
		[ "$(join -1 2 -2 2 "$scratch/want" "$scratch/have" | wc -l)" != "$(wc -l <"$scratch/want")" ]; then
		not_ok "prefix=$p: every file in place, with its mode"
		echo "#   wanted (mode path), and what was installed:"
		diff "$scratch/want" "$scratch/have" | sed 's/^/#   /'
	else
		ok "prefix=$p: every file in place, with its mode ($(wc -l <"$scratch/want") files)"
	fi
	if join -v 2 -1 2 -2 2 "$scratch/want" "$scratch/have" | grep -q .; then
		not_ok "prefix=$p: nothing else installed"
		join -v 2 -1 2 -2 2 "$scratch/want" "$scratch/have" | sed 's/^/#   extra: /'
	else
		ok "prefix=$p: nothing else installed"
	fi

	# Every file that runs the tool names the installed one, and each
	# names it where it matters.
	local tool=$p/sbin/dm-remap-tool named bad=0
	local -A wants=(
		["$p/lib/udev/rules.d/61-dm-remap.rules"]="IMPORT{program}=\"$tool probe \$devnode\""
		["$p/lib/systemd/system-generators/dm-remap-generator"]="exec $tool generate \"\$@\""
		["$p/lib/systemd/system/dm-remap-monitor.service"]="ExecStart=$tool monitor"
		["$p/share/initramfs-tools/hooks/dm-remap"]="copy_exec $tool"
		["$p/share/initramfs-tools/scripts/local-top/dm-remap"]="TOOL=$tool"
		["$p/share/initramfs-tools/scripts/local-block/dm-remap"]="$tool assemble --all"
	)
	for f in "${!wants[@]}"; do
		if ! grep -qF -- "${wants[$f]}" "$dest$f" 2>/dev/null; then
			echo "#   $f: no '${wants[$f]}'"
			bad=1
		fi
		named=$(grep -ho '[^ "=]*/sbin/dm-remap-tool' "$dest$f" 2>/dev/null | sort -u)
		if [ -n "$named" ] && [ "$named" != "$tool" ]; then
			echo "#   $f names ${named//$'\n'/ }"
			bad=1
		fi
	done
	if [ $bad = 0 ]; then ok "prefix=$p: the rule, generator, unit and initramfs scripts run $tool"
	else not_ok "prefix=$p: the rule, generator, unit and initramfs scripts run $tool"; fi

	if "$dest$tool" --version >"$out" 2>&1; then ok "prefix=$p: the installed tool runs ($(cat "$out"))"
	else not_ok "prefix=$p: the installed tool runs"; diag "$out"; fi
}

install_under /usr
install_under /usr/local
root=$scratch/root-usr
tool=$root/usr/sbin/dm-remap-tool

# Completions: they parse, and offer every command but no hidden one.
bash_completion=$root/usr/share/bash-completion/completions/dm-remap-tool
if bash -n "$bash_completion" 2>/dev/null && bash -c 'source "$1" && complete -p dm-remap-tool' _ "$bash_completion" >/dev/null; then
	ok "bash completion: parses and registers"
else not_ok "bash completion: parses and registers"; fi
if command -v zsh >/dev/null; then
	if zsh -n "$root/usr/share/zsh/vendor-completions/_dm-remap-tool" 2>/dev/null; then ok "zsh completion: parses"
	else not_ok "zsh completion: parses"; fi
else skip "zsh completion: parses" "no zsh"; fi
if command -v fish >/dev/null; then
	if fish -n "$root/usr/share/fish/vendor_completions.d/dm-remap-tool.fish" 2>/dev/null; then ok "fish completion: parses"
	else not_ok "fish completion: parses"; fi
else skip "fish completion: parses" "no fish"; fi

# The commands, as --help lists them (not `help`).
commands=$("$tool" --help 2>/dev/null | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' | grep -vx help)
missing=
for c in $commands; do
	grep -q "^\.SS ${c//-/\\\\-}\$" "$root/usr/share/man/man8/dm-remap-tool.8" || missing="$missing $c"
done
if [ -z "$commands" ]; then not_ok "dm-remap-tool(8): every command (--help lists none)"
elif [ -n "$missing" ] || grep -q 'generate\\-docs' "$root/usr/share/man/man8/dm-remap-tool.8"; then
	not_ok "dm-remap-tool(8): every command, no hidden one (missing:${missing:- none})"
else ok "dm-remap-tool(8): all $(wc -w <<<"$commands") commands, no hidden one"; fi
offered=$(sed -n 's/^ *opts="-h -V --help --version \(.*\)"$/\1/p' "$bash_completion" 2>/dev/null | head -1)
if [ -n "$commands" ] && [ "$(tr ' ' '\n' <<<"$offered" | grep -vx help | sort)" = "$(sort <<<"$commands")" ]; then
	ok "bash completion: offers every command, no hidden one"
else
	not_ok "bash completion: offers every command, no hidden one"
	echo "#   offered: $offered"
	echo "#   commands: ${commands//$'\n'/ }"
fi

# Shell scripts: sh -n, and shellcheck when it is installed.
scripts="$root/usr/lib/systemd/system-generators/dm-remap-generator $root/usr/share/initramfs-tools/hooks/dm-remap
	$root/usr/share/initramfs-tools/scripts/local-top/dm-remap $root/usr/share/initramfs-tools/scripts/local-block/dm-remap"
bad=0
for s in $scripts; do sh -n "$s" 2>"$scratch/out" || { bad=1; diag "$scratch/out"; }; done
if command -v shellcheck >/dev/null; then
	# shellcheck disable=SC2086
	shellcheck -s sh $scripts >"$scratch/out" 2>&1 || { bad=1; diag "$scratch/out" | head -30; }
	checked="sh -n and shellcheck"
else checked="sh -n (no shellcheck)"; fi
if [ $bad = 0 ]; then ok "generator and initramfs scripts: $checked"
else not_ok "generator and initramfs scripts: $checked"; fi

# Man pages: they render without a warning (as lintian checks them).
for page in man8/dm-remap-tool.8 man8/dm-remap-generator.8 man5/remaptab.5; do
	f=$root/usr/share/man/$page
	if command -v man >/dev/null; then
		LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$f" 2>"$scratch/out" >/dev/null
		how="man --warnings"
	elif command -v groff >/dev/null; then
		groff -man -Tutf8 -ww -z "$f" 2>"$scratch/out"
		how="groff -ww"
	else
		skip "man page $page renders without warnings" "no man or groff"
		continue
	fi
	if [ ! -s "$f" ] || [ -s "$scratch/out" ]; then
		not_ok "man page $page renders without warnings ($how)"
		diag "$scratch/out" | head -20
	else ok "man page $page renders without warnings ($how)"; fi
done

exit $failed
