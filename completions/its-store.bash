# bash completion for its-store (generated: make completions)
_its_store_completion() {
    local IFS=$'\n'
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD="$COMP_CWORD" \
                   COMP_LINE="$COMP_LINE" COMP_POINT="$COMP_POINT" \
                   _ITS_STORE_COMPLETE=complete_bash "$1" 2>/dev/null ) )
    # one answer ending in '/' (s3://bucket/, a key prefix): no space, the user goes on typing
    if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == */ ]]; then
        compopt -o nospace 2>/dev/null
    fi
    return 0
}

complete -o default -F _its_store_completion its-store
