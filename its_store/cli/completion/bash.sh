# bash completion for its-store, generated from the app by `make completions` (its_store/cli/completion/
# scripts.py; do not edit). Commands, options and their choices come from the tables below, without starting
# its-store; only bucket, key, model and remote names are asked of `its-store` (_ITS_STORE_COMPLETE=names).
# @TABLES@

# The words before the cursor are walked as click parses them (options anywhere, `--opt VALUE` unless written
# `--opt=VALUE`, `--` ends the options, a group's first free word is its subcommand). Words are split at blanks,
# a backslash keeping a blank in its word; the reply is relative to bash's own current word, which bash
# splits at ':' and '=' (COMP_WORDBREAKS), so that `s3://bucket/key` and `--type=video` complete whole.
_its_store_completion() {
    local line=${COMP_LINE:0:COMP_POINT} cur word pre="" node=0 n=0 want="" dd="" spec="" item
    local -a words found=() root=()
    read -a words <<< "$line"
    if [[ ${#words[@]} -eq 0 || $line == *[[:space:]] ]]; then words+=(""); fi
    cur=${words[${#words[@]}-1]}
    for word in "${words[@]:1:${#words[@]}-2}"; do
        if [[ -n $want ]]; then
            if [[ $node == 0 ]]; then root+=("$word"); fi
            want=""
        elif [[ -z $dd && $word == -- ]]; then
            dd=1
        elif [[ -z $dd && $word == -?* ]]; then
            if [[ $node == 0 ]]; then root+=("$word"); fi
            if [[ $word != *=* && -n ${_its_store_val["$node|$word"]+x} ]]; then want=$word; fi
        elif [[ $n == 0 && -n ${_its_store_kid["$node|$word"]+x} ]]; then
            node=${_its_store_kid["$node|$word"]}
        else
            n=$((n + 1))
        fi
    done
    if [[ -n $want ]]; then
        spec=${_its_store_val["$node|$want"]}
    elif [[ -z $dd && $cur == -* ]]; then
        if [[ $cur == -*=* && -n ${_its_store_val["$node|${cur%%=*}"]+x} ]]; then
            spec=${_its_store_val["$node|${cur%%=*}"]} pre=${cur%%=*}= cur=${cur#*=}
        else
            spec="=${_its_store_opts[$node]}"
        fi
    elif [[ -n ${_its_store_cmds[$node]+x} ]]; then
        spec="=${_its_store_cmds[$node]}"
    else
        spec=${_its_store_arg["$node|$n"]-${_its_store_arg["$node|*"]-}}
    fi
    case $spec in
        =*) for item in ${spec#=}; do [[ $item == "$cur"* ]] && found+=("$item"); done ;;
        :*) mapfile -t found < <(_ITS_STORE_COMPLETE=names "$1" "${spec#:}" "$cur" "${root[@]}" 2>/dev/null) ;;
        @dir) compopt -o dirnames 2>/dev/null ;;
    esac
    local typed=$pre$cur bashword=${COMP_WORDS[COMP_CWORD]} cut=0
    if [[ $typed == *"$bashword" ]]; then cut=$((${#typed} - ${#bashword})); fi
    COMPREPLY=()
    for item in "${found[@]}"; do
        item=$pre$item
        item=${item:cut}
        if [[ $spec == :* && $item == *[^A-Za-z0-9_./:@%+,=-]* ]]; then printf -v item %q "$item"; fi
        COMPREPLY+=("$item")
    done
    # one answer ending in '/' or ':' (s3://bucket/, a key prefix, a remote): no space, the user goes on typing
    if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *[/:] ]]; then compopt -o nospace 2>/dev/null; fi
    return 0
}

complete -o default -F _its_store_completion its-store
