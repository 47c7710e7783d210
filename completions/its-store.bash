# bash completion for its-store, generated from the app by `make completions` (its_store/cli/completion/
# scripts.py; do not edit). Commands, options and their choices come from the tables below, without starting
# its-store; only bucket, key, model and remote names are asked of `its-store` (_ITS_STORE_COMPLETE=names).
declare -gA _its_store_cmds=(
    [0]='upload get ls rm stat presign health config init restore stats sync cp mv du verify bucket tag model cache audit retention legal-hold completion remote'
    [17]='ls create rm info versioning lifecycle encryption retention policy'
    [23]='set show rm'
    [27]='set show rm'
    [31]='set show rm'
    [35]='set show rm'
    [39]='set get rm'
    [43]='register list show pull url promote aliases rm lineage seal diff verify gc webhooks'
    [57]='flush'
    [59]='stats clear prune'
    [63]='tail ship'
    [66]='set show'
    [69]='on off show'
    [73]='show install'
    [76]='add ls show rm test'
)
declare -gA _its_store_kid=(
    [0|upload]=1
    [0|get]=2
    [0|ls]=3
    [0|rm]=4
    [0|stat]=5
    [0|presign]=6
    [0|health]=7
    [0|config]=8
    [0|init]=9
    [0|restore]=10
    [0|stats]=11
    [0|sync]=12
    [0|cp]=13
    [0|mv]=14
    [0|du]=15
    [0|verify]=16
    [0|bucket]=17
    [0|tag]=39
    [0|model]=43
    [0|cache]=59
    [0|audit]=63
    [0|retention]=66
    [0|legal-hold]=69
    [0|completion]=73
    [0|remote]=76
    [17|ls]=18
    [17|create]=19
    [17|rm]=20
    [17|info]=21
    [17|versioning]=22
    [17|lifecycle]=23
    [17|encryption]=27
    [17|retention]=31
    [17|policy]=35
    [23|set]=24
    [23|show]=25
    [23|rm]=26
    [27|set]=28
    [27|show]=29
    [27|rm]=30
    [31|set]=32
    [31|show]=33
    [31|rm]=34
    [35|set]=36
    [35|show]=37
    [35|rm]=38
    [39|set]=40
    [39|get]=41
    [39|rm]=42
    [43|register]=44
    [43|list]=45
    [43|show]=46
    [43|pull]=47
    [43|url]=48
    [43|promote]=49
    [43|aliases]=50
    [43|rm]=51
    [43|lineage]=52
    [43|seal]=53
    [43|diff]=54
    [43|verify]=55
    [43|gc]=56
    [43|webhooks]=57
    [57|flush]=58
    [59|stats]=60
    [59|clear]=61
    [59|prune]=62
    [63|tail]=64
    [63|ship]=65
    [66|set]=67
    [66|show]=68
    [69|on]=70
    [69|off]=71
    [69|show]=72
    [73|show]=74
    [73|install]=75
    [76|add]=77
    [76|ls]=78
    [76|show]=79
    [76|rm]=80
    [76|test]=81
)
declare -gA _its_store_opts=(
    [0]='--json --quiet -q --verbose -v --debug --endpoint --region --secure --insecure --retries --no-verify-tls --env-file --bwlimit --version -V --install-completion --show-completion --help -h'
    [1]='--recursive -r --type -t --meta -m --tag --content-type --workers -w --part-size --resume --compress --level --sse --sse-c-key-file --retain --retain-mode --legal-hold --follow-symlinks --json --help -h'
    [2]='--recursive -r --version-id --workers -w --raw --sse-c-key-file --range --json --help -h'
    [3]='--recursive -r --type -t --min-size --max-size --newer-than --older-than --limit --metadata --tag --meta --versions --json --help -h'
    [4]=''
    [5]='--version-id --sse-c-key-file --json --help -h'
    [6]='--method --expires --json --help -h'
    [7]='--json --help -h'
    [8]='--json --help -h'
    [9]='--json --help -h'
    [10]='--version-id --json --help -h'
    [11]='--prometheus --reset --json --help -h'
    [12]='--delete --dry-run -n --checksum -c --size-only --exclude --include --max-delete --allow-empty-source --shard --follow-symlinks --workers -w --type -t --meta -m --tag --content-type --part-size --compress --level --sse --sse-c-key-file --source-sse-c-key-file --retain --retain-mode --legal-hold --no-state --watch --settle --remove-source --remove-after-settle --metrics-file --json --help -h'
    [13]='--recursive -r --shard --workers -w --sse-c-key-file --source-sse-c-key-file --follow-symlinks --json --help -h'
    [14]='--recursive -r --shard --workers -w --sse-c-key-file --source-sse-c-key-file --follow-symlinks --json --help -h'
    [15]='--depth -d --versions --json --help -h'
    [16]='--recursive -r --shard --newer-than --older-than --download --workers -w --json --help -h'
    [17]='--help -h'
    [18]='--json --help -h'
    [19]='--preset --versioning --no-versioning --encryption --no-encryption --object-lock --json --help -h'
    [20]='--force --yes -y --json --help -h'
    [21]='--json --help -h'
    [22]='--json --help -h'
    [23]='--help -h'
    [24]='--id --prefix --expire-days --expire-date --noncurrent-expire-days --abort-multipart-days --tag --file -f --preset --replace --json --help -h'
    [25]='--json --help -h'
    [26]='--id --json --help -h'
    [27]='--help -h'
    [28]='--kms-key --json --help -h'
    [29]='--json --help -h'
    [30]='--json --help -h'
    [31]='--help -h'
    [32]='--mode --days --years --json --help -h'
    [33]='--json --help -h'
    [34]='--json --help -h'
    [35]='--help -h'
    [36]='--public-read --public-write --file -f --json --help -h'
    [37]='--json --help -h'
    [38]='--yes -y --json --help -h'
    [39]='--help -h'
    [40]=''
    [41]='--version-id --json --help -h'
    [42]=''
    [43]='--help -h'
    [44]='--name -n --version --metric -m --config -c --tag --description -d --force --variant --dataset --parent --run-id --no-git --card --no-dedup --follow-symlinks --json --help -h'
    [45]='--tag --where -w --sort --asc --limit --offline --json --help -h'
    [46]='--offline --json --help -h'
    [47]='--force --variant --gpu-arch --trt-version --offline --json --help -h'
    [48]='--expires --json --help -h'
    [49]='--json --help -h'
    [50]='--json --help -h'
    [51]='--force --yes -y --json --help -h'
    [52]='--json --help -h'
    [53]='--json --help -h'
    [54]='--json --help -h'
    [55]='--json --help -h'
    [56]='--keep-last --older-than --stale --dry-run --yes -y --json --help -h'
    [57]='--help -h'
    [58]='--json --help -h'
    [59]='--help -h'
    [60]='--json --help -h'
    [61]='--json --help -h'
    [62]='--max-size --json --help -h'
    [63]='--help -h'
    [64]='--lines -n --json --help -h'
    [65]='--json --help -h'
    [66]='--help -h'
    [67]='--mode --until --days --version-id --recursive -r --bypass-governance --json --help -h'
    [68]='--version-id --json --help -h'
    [69]='--help -h'
    [70]='--version-id --recursive -r --json --help -h'
    [71]='--version-id --recursive -r --json --help -h'
    [72]='--version-id --json --help -h'
    [73]='--help -h'
    [74]='--help -h'
    [75]='--help -h'
    [76]='--help -h'
    [77]='--access-key --secret-key-file --secret-key-stdin --region --ca-bundle --verify-tls --no-verify-tls --proxy --bwlimit --replace --json --help -h'
    [78]='--json --help -h'
    [79]='--json --help -h'
    [80]='--json --help -h'
    [81]='--json --help -h'
)
declare -gA _its_store_val=(
    [0|--endpoint]=''
    [0|--region]=''
    [0|--retries]=''
    [0|--env-file]=''
    [0|--bwlimit]=''
    [1|--type]='=video_frame model_artifact log dataset metadata other'
    [1|-t]='=video_frame model_artifact log dataset metadata other'
    [1|--meta]=''
    [1|-m]=''
    [1|--tag]=''
    [1|--content-type]=''
    [1|--workers]=''
    [1|-w]=''
    [1|--part-size]=''
    [1|--compress]='=auto none gzip lz4 zstd'
    [1|--level]=''
    [1|--sse]='=none s3 c'
    [1|--sse-c-key-file]=''
    [1|--retain]=''
    [1|--retain-mode]=''
    [2|--version-id]=''
    [2|--workers]=''
    [2|-w]=''
    [2|--sse-c-key-file]=''
    [2|--range]=''
    [3|--type]='=video_frame model_artifact log dataset metadata other'
    [3|-t]='=video_frame model_artifact log dataset metadata other'
    [3|--min-size]=''
    [3|--max-size]=''
    [3|--newer-than]=''
    [3|--older-than]=''
    [3|--limit]=''
    [3|--tag]=''
    [3|--meta]=''
    [5|--version-id]=''
    [5|--sse-c-key-file]=''
    [6|--method]='=GET PUT'
    [6|--expires]=''
    [10|--version-id]=''
    [11|--prometheus]=''
    [12|--exclude]=''
    [12|--include]=''
    [12|--max-delete]=''
    [12|--shard]=''
    [12|--workers]=''
    [12|-w]=''
    [12|--type]='=video_frame model_artifact log dataset metadata other'
    [12|-t]='=video_frame model_artifact log dataset metadata other'
    [12|--meta]=''
    [12|-m]=''
    [12|--tag]=''
    [12|--content-type]=''
    [12|--part-size]=''
    [12|--compress]='=auto none gzip lz4 zstd'
    [12|--level]=''
    [12|--sse]='=none s3 c'
    [12|--sse-c-key-file]=''
    [12|--source-sse-c-key-file]=''
    [12|--retain]=''
    [12|--retain-mode]=''
    [12|--settle]=''
    [12|--metrics-file]=''
    [13|--shard]=''
    [13|--workers]=''
    [13|-w]=''
    [13|--sse-c-key-file]=''
    [13|--source-sse-c-key-file]=''
    [14|--shard]=''
    [14|--workers]=''
    [14|-w]=''
    [14|--sse-c-key-file]=''
    [14|--source-sse-c-key-file]=''
    [15|--depth]=''
    [15|-d]=''
    [16|--shard]=''
    [16|--newer-than]=''
    [16|--older-than]=''
    [16|--workers]=''
    [16|-w]=''
    [19|--preset]='=video logs models evidence'
    [24|--id]=''
    [24|--prefix]=''
    [24|--expire-days]=''
    [24|--expire-date]=''
    [24|--noncurrent-expire-days]=''
    [24|--abort-multipart-days]=''
    [24|--tag]=''
    [24|--file]=''
    [24|-f]=''
    [24|--preset]='=video logs models evidence'
    [26|--id]=''
    [28|--kms-key]=''
    [32|--mode]='=governance compliance'
    [32|--days]=''
    [32|--years]=''
    [36|--public-read]=''
    [36|--public-write]=''
    [36|--file]=''
    [36|-f]=''
    [41|--version-id]=''
    [44|--name]=''
    [44|-n]=''
    [44|--version]=''
    [44|--metric]=''
    [44|-m]=''
    [44|--config]=''
    [44|-c]=''
    [44|--tag]=''
    [44|--description]=''
    [44|-d]=''
    [44|--variant]=''
    [44|--dataset]=''
    [44|--parent]=''
    [44|--run-id]=''
    [44|--card]=''
    [45|--tag]=''
    [45|--where]=''
    [45|-w]=''
    [45|--sort]=''
    [45|--limit]=''
    [47|--variant]=''
    [47|--gpu-arch]=''
    [47|--trt-version]=''
    [48|--expires]=''
    [56|--keep-last]=''
    [56|--older-than]=''
    [56|--stale]=''
    [62|--max-size]=''
    [64|--lines]=''
    [64|-n]=''
    [67|--mode]='=governance compliance'
    [67|--until]=''
    [67|--days]=''
    [67|--version-id]=''
    [68|--version-id]=''
    [70|--version-id]=''
    [71|--version-id]=''
    [72|--version-id]=''
    [77|--access-key]=''
    [77|--secret-key-file]=''
    [77|--region]=''
    [77|--ca-bundle]=''
    [77|--proxy]=''
    [77|--bwlimit]=''
)
declare -gA _its_store_arg=(
    [1|0]=''
    [1|1]=':object'
    [2|0]=':object'
    [2|1]=''
    [3|0]=':object'
    [4|*]=':object'
    [5|0]=':object'
    [6|0]=':object'
    [10|0]=''
    [12|0]=':object'
    [12|1]=':object'
    [13|0]=':object'
    [13|1]=':object'
    [14|0]=':object'
    [14|1]=':object'
    [15|0]=':object'
    [16|0]=''
    [16|1]=''
    [18|0]=''
    [19|0]=''
    [20|0]=''
    [21|0]=''
    [22|0]=''
    [22|1]='=on off status'
    [24|0]=''
    [25|0]=''
    [26|0]=''
    [28|0]=''
    [29|0]=''
    [30|0]=''
    [32|0]=''
    [33|0]=''
    [34|0]=''
    [36|0]=''
    [37|0]=''
    [38|0]=''
    [40|0]=''
    [40|*]=''
    [41|0]=''
    [42|0]=''
    [42|*]=''
    [44|0]=''
    [45|0]=':model'
    [46|0]=':model'
    [47|0]=':model'
    [47|1]=''
    [48|0]=':model'
    [49|0]=':model'
    [49|1]=''
    [50|0]=':model'
    [51|0]=':model'
    [52|0]=':model'
    [53|0]=':model'
    [54|0]=':model'
    [54|1]=':model'
    [55|0]=':model'
    [56|0]=':model'
    [67|0]=':object'
    [68|0]=':object'
    [70|0]=':object'
    [71|0]=':object'
    [72|0]=':object'
    [74|0]='=bash zsh fish'
    [75|0]='=bash zsh fish'
    [77|0]=''
    [77|1]=''
    [79|0]=':remote'
    [80|0]=':remote'
    [81|0]=':remote'
)

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
