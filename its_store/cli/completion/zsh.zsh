#compdef its-store
# zsh completion for its-store, generated from the app by `make completions` (its_store/cli/completion/
# scripts.py; do not edit). Commands, options and their choices come from the tables below, without starting
# its-store; only bucket, key, model and remote names are asked of `its-store` (_ITS_STORE_COMPLETE=names).
# @TABLES@

# __its_store_candidates PROG CUR WORD...: what completes CUR after the WORDs typed between PROG and it,
# walked as click parses them (options anywhere, `--opt VALUE` unless written `--opt=VALUE`, `--` ends the
# options, a group's first free word is its subcommand). Sets REPLY to the kind of answer (commands, options:
# `name:help` lines for _describe; values, names; dirs, files) and reply to the candidates.
__its_store_candidates() {
  emulate -L zsh
  local prog=$1 cur=$2 word node=0 n=0 want= dd= spec=
  local -a root
  shift 2
  for word in "$@"; do
    if [[ -n $want ]]; then
      [[ $node == 0 ]] && root+=("$word")
      want=
    elif [[ -z $dd && $word == -- ]]; then
      dd=1
    elif [[ -z $dd && $word == -?* ]]; then
      [[ $node == 0 ]] && root+=("$word")
      [[ $word != *=* && -n ${_its_store_val[$node|$word]+x} ]] && want=$word
    elif [[ $n == 0 && -n ${_its_store_kid[$node|$word]+x} ]]; then
      node=${_its_store_kid[$node|$word]}
    else
      n=$((n + 1))
    fi
  done
  reply=() REPLY=values
  if [[ -n $want ]]; then
    spec=${_its_store_val[$node|$want]}
  elif [[ -z $dd && $cur == -* ]]; then
    if [[ $cur == -*=* && -n ${_its_store_val[$node|${cur%%=*}]+x} ]]; then
      spec=${_its_store_val[$node|${cur%%=*}]} cur=${cur#*=}
    else
      REPLY=options reply=("${(@f)_its_store_opth[$node]}")
      return
    fi
  elif [[ -n ${_its_store_cmds[$node]+x} ]]; then
    REPLY=commands reply=("${(@f)_its_store_cmdh[$node]}")
    return
  else
    spec=${_its_store_arg[$node|$n]-${_its_store_arg[$node|*]-}}
  fi
  case $spec in
    ('='*) reply=(${(s: :)spec#=}) ;;
    (:*) REPLY=names reply=("${(@f)$(_ITS_STORE_COMPLETE=names $prog ${spec#:} "$cur" "${root[@]}" 2>/dev/null)}")
         reply=(${reply:#}) ;;
    (@dir) REPLY=dirs ;;
    (*) REPLY=files ;;
  esac
}

_its-store() {
  local -a reply open
  local REPLY
  __its_store_candidates "$words[1]" "${(Q)PREFIX}" "${(@Q)words[2,CURRENT-1]}"
  case $REPLY in
    (commands) _describe -t commands 'its-store command' reply ;;
    (options) _describe -t options 'option' reply ;;
    (values) [[ $PREFIX == -*=* ]] && compset -P '*='
             compadd -a reply ;;
    (names) if (( ! $#reply )); then
              _files
            else  # a bucket, a key prefix or a remote (ending in / or :): no space, the user goes on typing
              open=(${(M)reply:#*[/:]}) reply=(${reply:#*[/:]})
              (( $#open )) && compadd -S '' -a open
              (( $#reply )) && compadd -a reply
            fi ;;
    (dirs) _files -/ ;;
    (*) _files ;;
  esac
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _its-store "$@"  # autoloaded from $fpath (the file is the function's first run)
elif (( $+functions[compdef] )); then
  compdef _its-store its-store  # sourced after compinit
fi
