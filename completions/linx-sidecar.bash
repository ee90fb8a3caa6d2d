# bash completion for linx-sidecar(8)                     -*- shell-script -*-
# Commands, their options, and the ids of resident sidecars (the entries of
# the state dir with a pid file; --state-dir on the line is honoured).

_linx_sidecar_ids()
{
	local dir=/run/linx-sidecar i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		[[ ${COMP_WORDS[i]} == --state-dir ]] && dir=${COMP_WORDS[i + 1]}
		[[ ${COMP_WORDS[i]} == --state-dir=* ]] && dir=${COMP_WORDS[i]#--state-dir=}
	done
	local d
	for d in "$dir"/*/pid; do
		[[ -e $d ]] || continue
		d=${d%/pid}
		printf '%s\n' "${d##*/}"
	done
}

_linx_sidecar()
{
	local cur prev words cword
	_init_completion || return

	local commands="hook run reconcile plan observe status stop put list events metrics"
	local policy="--allow-sysctl --allow-master --allow-parent --peer-prefix
		--cgroup-allow-raise --min-interval-ms --nft-policy --nft-no-persist
		--allow-host-netns"
	local common="--state-dir --json --help"

	case $prev in
	--desired | --nft-policy | --output)
		_filedir
		return ;;
	--state-dir | --netns | --cgroup)
		_filedir -d
		[[ $prev == --netns ]] && _filedir
		return ;;
	--pid)
		COMPREPLY=($(compgen -W "$(command ls /proc 2>/dev/null | grep -E '^[0-9]+$')" -- "$cur"))
		return ;;
	--allow-master | --allow-parent)
		COMPREPLY=($(compgen -W "$(command ls /sys/class/net 2>/dev/null)" -- "$cur"))
		return ;;
	--id | --allow-sysctl | --peer-prefix | --min-interval-ms)
		return ;;
	esac

	local cmd="" i
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--state-dir | --desired | --pid | --netns | --cgroup | --id | --output | \
			--allow-sysctl | --allow-master | --allow-parent | --peer-prefix | \
			--min-interval-ms | --nft-policy)
			((i++)) ;;
		-*) ;;
		*)
			cmd=${words[i]}
			break ;;
		esac
	done

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--version --help --pid --desired $common $policy" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return
	fi

	local opts
	case $cmd in
	hook) opts="$policy $common --cgroup" ;;
	run) opts="--pid --netns --desired --cgroup --id $policy $common" ;;
	reconcile | plan) opts="--pid --netns --desired --cgroup --id $policy $common" ;;
	observe) opts="--pid --netns --desired --cgroup $common" ;;
	status | stop) opts=$common ;;
	put) opts="--desired $common" ;;
	list) opts=$common ;;
	events) opts="--follow $common" ;;
	metrics) opts="--output --state-dir --help" ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	case $cmd in
	hook)
		COMPREPLY=($(compgen -W "createRuntime poststop" -- "$cur")) ;;
	status | stop | put | events | reconcile)
		COMPREPLY=($(compgen -W "$(_linx_sidecar_ids)" -- "$cur")) ;;
	esac
} &&
	complete -F _linx_sidecar linx-sidecar

# ex: filetype=sh
