# fish completion for its-store, generated from the app by `make completions` (its_store/cli/completion/
# scripts.py; do not edit). Commands, options and their choices come from the tables below, without starting
# its-store; only bucket, key, model and remote names are asked of `its-store` (_ITS_STORE_COMPLETE=names).
# @TABLES@

# __its_store_answer CUR PROG WORD...: the candidates for CUR after the WORDs typed between PROG and it
# (fish keeps those that match CUR), walked as click parses them (options anywhere, `--opt VALUE` unless
# written `--opt=VALUE`, `--` ends the options, a group's first free word is its subcommand).
function __its_store_answer
    set -l cur $argv[1]
    set -l prog $argv[2]
    set -l node 0
    set -l n 0
    set -l want ''
    set -l dd ''
    set -l root
    for word in $argv[3..-1]
        set -l opts __its_store_{$node}_opts
        set -l cmds __its_store_{$node}_cmds
        if test -n "$want"
            test $node = 0; and set -a root $word
            set want ''
        else if test -z "$dd"; and test "$word" = --
            set dd 1
        else if test -z "$dd"; and string match -q -- '-?*' $word
            test $node = 0; and set -a root $word
            set -l optv __its_store_{$node}_optv
            if not string match -q -- '*=*' $word; and set -l i (contains -i -- $word $$opts)
                test "$$optv[1][$i]" != '!'; and set want $word
            end
        else if test $n = 0; and set -q $cmds; and set -l i (contains -i -- $word $$cmds)
            set -l kids __its_store_{$node}_kids
            set node $$kids[1][$i]
        else
            set n (math $n + 1)
        end
    end
    set -l opts __its_store_{$node}_opts
    set -l optv __its_store_{$node}_optv
    set -l spec ''
    set -l pre ''
    if test -n "$want"
        set spec $$optv[1][(contains -i -- $want $$opts)]
    else if test -z "$dd"; and string match -q -- '-*' $cur
        set -l parts (string split -m 1 = -- $cur)
        if set -q parts[2]; and set -l i (contains -i -- $parts[1] $$opts); and test "$$optv[1][$i]" != '!'
            set spec $$optv[1][$i]
            set pre "$parts[1]="
            set cur $parts[2]
        else
            set -l optd __its_store_{$node}_optd
            printf '%s\n' $$optd
            return
        end
    else if set -q __its_store_{$node}_cmds
        set -l cmdd __its_store_{$node}_cmdd
        printf '%s\n' $$cmdd
        return
    else
        set -l args __its_store_{$node}_args
        set -l rest __its_store_{$node}_rest
        if test $n -lt (count $$args)
            set spec $$args[1][(math $n + 1)]
        else if set -q $rest
            set spec $$rest
        end
    end
    switch $spec
        case '=*'
            for value in (string split ' ' -- (string sub -s 2 -- $spec))
                echo "$pre$value"
            end
        case ':*'
            set -l found (_ITS_STORE_COMPLETE=names $prog (string sub -s 2 -- $spec) "$cur" $root 2>/dev/null)
            if set -q found[1]
                printf '%s\n' $found
            else
                __fish_complete_path "$cur"
            end
        case '@dir'
            __fish_complete_directories "$cur"
        case '*'
            __fish_complete_path "$cur"
    end
end

function __its_store_complete --description 'its-store: complete the token at the cursor'
    set -l cur (commandline -ct)
    __its_store_answer "$cur" (commandline -opc)
end

complete -c its-store -f -a '(__its_store_complete)'
