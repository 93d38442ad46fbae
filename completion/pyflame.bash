# bash completion for pyflame                                  -*- shell-script -*-
#
# Installed as /usr/share/bash-completion/completions/pyflame (the .deb; `make install`),
# or share/bash-completion/completions/pyflame under a wheel's prefix (found by
# bash-completion for `pip install --user`: ~/.local/share/...).  Bash only: mapfile and
# ${!var} are not in zsh's bashcompinit.
#
# The commands and each command's options are not listed here: they are read, once per
# shell and command, from `pyflame --help` and `pyflame CMD --help`, which the binary
# prints from the very tables its parser reads (src/cli.c), so the completion cannot
# offer an option the binary rejects nor miss one it takes.  An option's argument is the
# word after it in --help (FILE, SECS, time|share); the output formats offered after -o
# are the extensions named in that command's -o help.  What --help does not enumerate
# (the values of --mode, --reader, --format) is in _pyflame_values below.

# The binary being completed: the word typed (a path) if it runs, else pyflame on PATH.
_pyflame_bin()
{
	local b=${COMP_WORDS[0]}
	b=${b/#\~/$HOME}
	if [[ $b == */* && -x $b ]]; then printf '%s\n' "$b"; else printf 'pyflame\n'; fi
}

# Parse `pyflame [CMD] --help` into _pyflame_cache_<key>: "opt NAME ARG" per option (ARG
# "-" when it takes none), "ext .EXT" per output extension of -o, "cmd NAME" per command.
_pyflame_load()
{
	local key=${1:-main} var
	var=_pyflame_cache_${key//[^a-z]/_}
	[[ -n ${!var-} ]] && return 0
	local out
	# shellcheck disable=SC2086
	out=$("$(_pyflame_bin)" $1 --help 2>/dev/null | awk '
		function opt(name, arg) { print "opt " name " " (arg == "" ? "-" : arg) }
		/^Commands:/ { incmds = 1; next }
		incmds && /^  [a-z]+ / { print "cmd " $1; next }
		incmds && /^$/ { incmds = 0 }
		/^  -[a-zA-Z], --[a-z]/ || /^      --[a-z]/ {
			line = $0; sub(/^ +/, "", line)
			short = ""
			if (line ~ /^-[a-zA-Z], /) { short = substr(line, 1, 2); line = substr(line, 5) }
			n = split(line, w, " ")
			long = w[1]; arg = ""
			sub(/\[=.*/, "", long)		# --async[=all]: an optional argument
			if (n >= 2 && (w[2] ~ /^[A-Z]+$/ || w[2] ~ /^[a-z]+(\|[a-z]+)+$/)) arg = w[2]
			if (short != "") opt(short, arg)
			opt(long, arg)
			inout = (long == "--output")
			if (inout) exts(line)
			next
		}
		/^  [^ ]/ || /^[^ ]/ { inout = 0; next }
		inout { exts($0) }
		function exts(s,   t) {
			while (match(s, /(^|[ ,(])\.[a-z]+(\.[a-z]+)?/)) {
				t = substr(s, RSTART, RLENGTH); sub(/^[ ,(]/, "", t)
				print "ext " t
				s = substr(s, RSTART + RLENGTH)
			}
		}')
	[[ -n $out ]] || return 1
	printf -v "$var" '%s' "$out"
}

# Fields of the cached help of $1 (the command, "" for pyflame itself): $2 = opt|ext|cmd.
_pyflame_list()
{
	local var=_pyflame_cache_${1:-main}
	var=${var//[^a-zA-Z_]/_}
	_pyflame_load "$1" || return 0
	local kind rest
	while read -r kind rest; do
		[[ $kind == "$2" ]] && printf '%s\n' "${rest%% *}"
	done <<<"${!var}"
}

# The argument name of option $2 of command $1 ("-" if it takes none; empty if unknown).
_pyflame_arg()
{
	local var=_pyflame_cache_$1 kind name arg
	var=${var//[^a-zA-Z_]/_}
	_pyflame_load "$1" || return 0
	while read -r kind name arg; do
		[[ $kind == opt && $name == "$2" ]] && { printf '%s\n' "$arg"; return 0; }
	done <<<"${!var}"
}

# Values of options whose --help describes them in prose.
_pyflame_values()
{
	case $1:$2 in
	*:--mode) echo "wall cpu gil exception" ;;
	*:--reader) echo "auto vm mem peek" ;;
	diff:--format) echo "text md json" ;;
	*:-f | *:--format) echo "svg collapsed speedscope pprof timeline" ;;
	esac
}

_pyflame_filenames()
{
	type compopt >/dev/null 2>&1 && compopt -o filenames 2>/dev/null
	return 0
}

# An output file: directories, '-', existing files with an output extension, and the
# word typed so far completed with each extension (prof -> prof.svg prof.txt ...).
_pyflame_outputs()
{
	local cmd=$1 cur=$2 e stem base f
	local -a exts
	mapfile -t exts < <(_pyflame_list "$cmd" ext)
	local dir=""
	base=$cur
	[[ $cur == */* ]] && dir=${cur%/*}/ base=${cur##*/}
	stem=$dir${base%%.*}
	if [[ -n ${base%%.*} ]]; then
		for e in "${exts[@]}"; do
			[[ $stem$e == "$cur"* ]] && COMPREPLY+=("$stem$e")
		done
	fi
	while IFS= read -r f; do
		for e in "${exts[@]}"; do
			[[ $f == *"$e" && -f $f ]] && { COMPREPLY+=("$f"); break; }
		done
	done < <(compgen -f -- "$cur")
	mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -d -- "$cur")
	[[ -z $cur || $cur == - ]] && COMPREPLY+=(-)
	_pyflame_filenames
}

_pyflame_value()
{
	local cmd=$1 opt=$2 arg=$3 cur=$4 vals
	vals=$(_pyflame_values "$cmd" "$opt")
	[[ -z $vals && $arg == *"|"* ]] && vals=${arg//|/ }
	if [[ -n $vals ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$vals" -- "$cur")
		return
	fi
	case $opt:$arg in
	-o:* | --output:*) _pyflame_outputs "$cmd" "$cur" ;;
	--strip-prefix:*)
		mapfile -t COMPREPLY < <(compgen -W auto -- "$cur"; compgen -d -- "$cur")
		_pyflame_filenames
		;;
	*:PID)
		# Python processes first; every process if none matches
		local pids
		pids=$(ps -eo pid=,comm= 2>/dev/null | awk '$2 ~ /^python/ { print $1 }')
		[[ -n $pids ]] || pids=$(ps -eo pid= 2>/dev/null)
		mapfile -t COMPREPLY < <(compgen -W "$pids" -- "$cur")
		;;
	*:FILE | *:DIR)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		_pyflame_filenames
		;;
	esac			# numbers, seconds, text: nothing to offer
}

_pyflame()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local i w cmd="" ci=0 arg
	COMPREPLY=()

	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		[[ $w == -* ]] && continue	# -v, -q before the command
		cmd=$w ci=$i
		break
	done
	_pyflame_load "" || return 0	# here, not in the $(...) subshells below: cached
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "-v --verbose -q --quiet -h --help -V --version" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(_pyflame_list "" cmd) help" -- "$cur")
		fi
		return 0
	fi
	if [[ $cmd == help ]]; then
		((COMP_CWORD == ci + 1)) &&
			mapfile -t COMPREPLY < <(compgen -W "$(_pyflame_list "" cmd)" -- "$cur")
		return 0
	fi
	_pyflame_load "$cmd" || return 0	# not a command pyflame knows

	# run: the profiled command starts after '--' or at the first operand
	if [[ $cmd == run ]]; then
		local start=0
		for ((i = ci + 1; i <= COMP_CWORD; i++)); do
			w=${COMP_WORDS[i]}
			if [[ $w == -- ]] && ((i < COMP_CWORD)); then
				start=$((i + 1)) && break
			elif [[ $w == -* ]]; then
				((i == COMP_CWORD)) && break	# an option being typed
				if [[ ${COMP_WORDS[i + 1]-} == = ]]; then	# --opt=VALUE: three words
					((i += 2))
					continue
				fi
				arg=$(_pyflame_arg run "$w")
				[[ -n $arg && $arg != - ]] && ((i++))
			else
				start=$i && break
			fi
		done
		if ((start && COMP_CWORD >= start)); then
			if ((COMP_CWORD == start)); then
				mapfile -t COMPREPLY < <(compgen -c -- "$cur" | sort -u)
			elif declare -F _command_offset >/dev/null; then
				_command_offset "$start"
			else
				mapfile -t COMPREPLY < <(compgen -f -- "$cur")
				_pyflame_filenames
			fi
			return 0
		fi
	fi

	# the value of an option (with COMP_WORDBREAKS' '=', "--opt=" arrives as --opt =)
	local opt=$prev
	if [[ $prev == = ]] && ((COMP_CWORD >= 2)); then
		opt=${COMP_WORDS[COMP_CWORD - 2]}
	fi
	if ((COMP_CWORD - 1 > ci)) && [[ $opt == -* ]]; then
		arg=$(_pyflame_arg "$cmd" "$opt")
		if [[ -n $arg && $arg != - ]]; then
			_pyflame_value "$cmd" "$opt" "$arg" "$cur"
			return 0
		fi
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_pyflame_list "$cmd" opt)" -- "$cur")
		return 0
	fi
	case $cmd in
	report | diff)		# inputs: raw logs and collapsed stacks
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		_pyflame_filenames
		;;
	esac
	return 0
}
complete -F _pyflame pyflame
