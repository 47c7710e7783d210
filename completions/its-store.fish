# fish completion for its-store, generated from the app by `make completions` (its_store/cli/completion/
# scripts.py; do not edit). Commands, options and their choices come from the tables below, without starting
# its-store; only bucket, key, model and remote names are asked of `its-store` (_ITS_STORE_COMPLETE=names).
set -g __its_store_0_cmds 'upload' 'get' 'ls' 'rm' 'stat' 'presign' 'health' 'config' 'init' 'restore' 'stats' 'sync' 'cp' 'mv' 'du' 'verify' 'bucket' 'tag' 'model' 'cache' 'audit' 'retention' 'legal-hold' 'completion' 'remote'
set -g __its_store_0_kids 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 39 43 59 63 66 69 73 76
set -g __its_store_0_cmdd 'upload'\t'Upload a file, a folder (--recursive) or stdin (-) to object storage.' 'get'\t'Download an object to a file, a folder, or stdout (-); a prefix with --recursive.' 'ls'\t'List buckets, or objects under a prefix, with filters.' 'rm'\t'Delete objects, or everything under a prefix with --recursive.' 'stat'\t'Show an object\'s size, ETag, type, content type, metadata, tags, codec and encryption.' 'presign'\t'Print a presigned URL that works without credentials until it expires (max 7 days).' 'health'\t'Check that the endpoint answers, the credentials work and the configured buckets exist.' 'config'\t'Show the effective configuration (env, .env file and flags), secrets masked.' 'init'\t'Create the configured buckets (default, video, models, logs) that do not exist yet.' 'restore'\t'Make an older version of an object current again (server-side copy; nothing is deleted).' 'stats'\t'Operation counts, success rate, cache hit rate and average speeds, kept between runs.' 'sync'\t'Make DEST like SRC: copy what is missing or differs (size and mtime by default), optionally delete what SRC lacks.' 'cp'\t'Copy an object or file; s3 to s3 is a server-side copy keeping metadata and tags.' 'mv'\t'Move: copy, verify the copy, then delete the source (a local file or an object).' 'du'\t'Bytes and object counts under a prefix; with --depth, per folder (each with everything below it).' 'verify'\t'Re-read objects and check them against the SHA-256 recorded at upload (else an MD5 ETag).' 'bucket'\t'Buckets: list, create, remove, inspect, configure.' 'tag'\t'Tags of objects and buckets: set, get, remove.' 'model'\t'Model registry: versioned, verified ML artifacts in the models bucket.' 'cache'\t'The metadata cache (disk or Redis): statistics, clear; the model blob cache: prune.' 'audit'\t'The audit log of mutating operations: tail, ship.' 'retention'\t'Object retention (object lock): set, show.' 'legal-hold'\t'Legal hold (object lock): on, off, show.' 'completion'\t'Shell completion for bash, zsh and fish: show the script, install it.' 'remote'\t'Named remotes (endpoints): add, ls, show, rm, test.'
set -g __its_store_0_opts '--json' '--quiet' '-q' '--verbose' '-v' '--debug' '--endpoint' '--region' '--secure' '--insecure' '--retries' '--no-verify-tls' '--env-file' '--bwlimit' '--version' '-V' '--install-completion' '--show-completion' '--help' '-h'
set -g __its_store_0_optv '!' '!' '!' '!' '!' '!' '' '' '!' '!' '' '!' '' '' '!' '!' '!' '!' '!' '!'
set -g __its_store_0_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--quiet'\t'No talk on stderr; errors only.' '-q'\t'No talk on stderr; errors only.' '--verbose'\t'More detail on stderr.' '-v'\t'More detail on stderr.' '--debug'\t'Tracebacks for unexpected errors.' '--endpoint'\t'S3 endpoint host:port (beats MINIO_ENDPOINT).' '--region'\t'Region (beats MINIO_REGION).' '--secure'\t'HTTPS or plain HTTP (beats MINIO_SECURE).' '--insecure'\t'HTTPS or plain HTTP (beats MINIO_SECURE).' '--retries'\t'Retries per request (beats MINIO_MAX_RETRIES).' '--no-verify-tls'\t'Skip TLS certificate checks (unsafe; prints a warning).' '--env-file'\t'Read settings from this .env file.' '--bwlimit'\t'Bandwidth limit, bytes/s: RATE, UP:DOWN or a timetable (10M, 512k:4M, "08:00,1M 19:00,off"; beats MINIO_BWLIMIT).' '--version'\t'Print the version and exit.' '-V'\t'Print the version and exit.' '--install-completion'\t'Install completion for the current shell (bash, zsh or fish).' '--show-completion'\t'Show completion for the current shell, to copy it or customize the installation.' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_0_args
set -g __its_store_1_opts '--recursive' '-r' '--type' '-t' '--meta' '-m' '--tag' '--content-type' '--workers' '-w' '--part-size' '--resume' '--compress' '--level' '--sse' '--sse-c-key-file' '--retain' '--retain-mode' '--legal-hold' '--follow-symlinks' '--json' '--help' '-h'
set -g __its_store_1_optv '!' '!' '=video_frame model_artifact log dataset metadata other' '=video_frame model_artifact log dataset metadata other' '' '' '' '' '' '' '' '!' '=auto none gzip lz4 zstd' '' '=none s3 c' '' '' '' '!' '!' '!' '!' '!'
set -g __its_store_1_optd '--recursive'\t'Whole folders / every object under the prefix.' '-r'\t'Whole folders / every object under the prefix.' '--type'\t'Object type (picks the default bucket).' '-t'\t'Object type (picks the default bucket).' '--meta'\t'Metadata k=v (repeatable).' '-m'\t'Metadata k=v (repeatable).' '--tag'\t'Tag k=v (repeatable).' '--content-type'\t'Content-Type (guessed when absent).' '--workers'\t'Parallel transfers (parts or files).' '-w'\t'Parallel transfers (parts or files).' '--part-size'\t'Multipart part size, e.g. 16MiB.' '--resume'\t'Keep parts of a failed large upload; continue them on the next run.' '--compress'\t'auto: zstd unless already compressed (default when MINIO_ENABLE_COMPRESSION=true), none, gzip, lz4, zstd.' '--level'\t'Codec level: zstd 1-22, gzip 1-9, lz4 0-16.' '--sse'\t'Server-side encryption: none, s3 (SSE-S3; default when MINIO_ENABLE_ENCRYPTION=true), c (SSE-C with your key).' '--sse-c-key-file'\t'File with the 32-byte SSE-C key (raw, base64 or hex). Else MINIO_SSE_C_KEY(_FILE).' '--retain'\t'Object lock: retain for 90d / 2w / 1y, or until a date 2027-01-31.' '--retain-mode'\t'governance (default; liftable with --bypass-governance) or compliance.' '--legal-hold'\t'Object lock: put the upload under legal hold.' '--follow-symlinks'\t'Follow symbolic links (default: a link is skipped and reported).' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_1_args '' ':object'
set -g __its_store_2_opts '--recursive' '-r' '--version-id' '--workers' '-w' '--raw' '--sse-c-key-file' '--range' '--json' '--help' '-h'
set -g __its_store_2_optv '!' '!' '' '' '' '!' '' '' '!' '!' '!'
set -g __its_store_2_optd '--recursive'\t'Whole folders / every object under the prefix.' '-r'\t'Whole folders / every object under the prefix.' '--version-id'\t'A specific object version.' '--workers'\t'Parallel transfers (parts or files).' '-w'\t'Parallel transfers (parts or files).' '--raw'\t'The stored bytes: do not undo compression.' '--sse-c-key-file'\t'File with the 32-byte SSE-C key (raw, base64 or hex). Else MINIO_SSE_C_KEY(_FILE).' '--range'\t'Only these bytes: START-END (inclusive), START- or -SUFFIX. Not verifiable.' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_2_args ':object' ''
set -g __its_store_3_opts '--recursive' '-r' '--type' '-t' '--min-size' '--max-size' '--newer-than' '--older-than' '--limit' '--metadata' '--tag' '--meta' '--versions' '--json' '--help' '-h'
set -g __its_store_3_optv '!' '!' '=video_frame model_artifact log dataset metadata other' '=video_frame model_artifact log dataset metadata other' '' '' '' '' '' '!' '' '' '!' '!' '!' '!'
set -g __its_store_3_optd '--recursive'\t'Whole folders / every object under the prefix.' '-r'\t'Whole folders / every object under the prefix.' '--type'\t'Only these object types (repeatable).' '-t'\t'Only these object types (repeatable).' '--min-size'\t'Only objects at least this big (e.g. 100K).' '--max-size'\t'Only objects at most this big (e.g. 2MiB).' '--newer-than'\t'Modified within this long (30m, 2h, 7d).' '--older-than'\t'Modified longer ago than this (30m, 2h, 7d).' '--limit'\t'Stop after this many entries.' '--metadata'\t'Fetch type and metadata of each object.' '--tag'\t'Only objects with this tag k=v (repeatable).' '--meta'\t'Only objects with this metadata k=v (repeatable).' '--versions'\t'Every version and delete marker.' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_3_args ':object'
set -g __its_store_4_opts 
set -g __its_store_4_optv 
set -g __its_store_4_optd 
set -g __its_store_4_args
set -g __its_store_4_rest ':object'
set -g __its_store_5_opts '--version-id' '--sse-c-key-file' '--json' '--help' '-h'
set -g __its_store_5_optv '' '' '!' '!' '!'
set -g __its_store_5_optd '--version-id'\t'A specific object version.' '--sse-c-key-file'\t'File with the 32-byte SSE-C key (raw, base64 or hex). Else MINIO_SSE_C_KEY(_FILE).' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_5_args ':object'
set -g __its_store_6_opts '--method' '--expires' '--json' '--help' '-h'
set -g __its_store_6_optv '=GET PUT' '' '!' '!' '!'
set -g __its_store_6_optd '--method'\t'GET to share, PUT to let a client upload.' '--expires'\t'Validity, at most 7d (e.g. 300s, 30m, 1h, 7d).' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_6_args ':object'
set -g __its_store_7_opts '--json' '--help' '-h'
set -g __its_store_7_optv '!' '!' '!'
set -g __its_store_7_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_7_args
set -g __its_store_8_opts '--json' '--help' '-h'
set -g __its_store_8_optv '!' '!' '!'
set -g __its_store_8_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_8_args
set -g __its_store_9_opts '--json' '--help' '-h'
set -g __its_store_9_optv '!' '!' '!'
set -g __its_store_9_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_9_args
set -g __its_store_10_opts '--version-id' '--json' '--help' '-h'
set -g __its_store_10_optv '' '!' '!' '!'
set -g __its_store_10_optd '--version-id'\t'The version to make current again.' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_10_args ''
set -g __its_store_11_opts '--prometheus' '--reset' '--json' '--help' '-h'
set -g __its_store_11_optv '' '!' '!' '!' '!'
set -g __its_store_11_optd '--prometheus'\t'Also write the totals to FILE in node_exporter textfile format (atomic).' '--reset'\t'Zero the saved totals.' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_11_args
set -g __its_store_12_opts '--delete' '--dry-run' '-n' '--checksum' '-c' '--size-only' '--exclude' '--include' '--max-delete' '--allow-empty-source' '--shard' '--follow-symlinks' '--workers' '-w' '--type' '-t' '--meta' '-m' '--tag' '--content-type' '--part-size' '--compress' '--level' '--sse' '--sse-c-key-file' '--source-sse-c-key-file' '--retain' '--retain-mode' '--legal-hold' '--no-state' '--watch' '--settle' '--remove-source' '--remove-after-settle' '--metrics-file' '--json' '--help' '-h'
set -g __its_store_12_optv '!' '!' '!' '!' '!' '!' '' '' '' '!' '' '!' '' '' '=video_frame model_artifact log dataset metadata other' '=video_frame model_artifact log dataset metadata other' '' '' '' '' '' '=auto none gzip lz4 zstd' '' '=none s3 c' '' '' '' '' '!' '!' '!' '' '!' '!' '' '!' '!' '!'
set -g __its_store_12_optd '--delete'\t'Delete from DEST what SRC lacks (never after a failed, partial or empty source listing).' '--dry-run'\t'Print the plan; change nothing.' '-n'\t'Print the plan; change nothing.' '--checksum'\t'Compare content (sha256 / MD5 ETag), not mtime.' '-c'\t'Compare content (sha256 / MD5 ETag), not mtime.' '--size-only'\t'Compare sizes only.' '--exclude'\t'Skip paths matching GLOB (repeatable; an exclude always wins).' '--include'\t'Only paths matching GLOB (repeatable).' '--max-delete'\t'Delete nothing if more than N deletes are planned (exit 1).' '--allow-empty-source'\t'With --delete: an empty source empties DEST.' '--shard'\t'Only shard K of N (K/N, from 0), by relative path.' '--follow-symlinks'\t'Follow symbolic links (default: a link is skipped and reported)' '--workers'\t'Parallel transfers.' '-w'\t'Parallel transfers.' '--type'\t'Object type of uploads.' '-t'\t'Object type of uploads.' '--meta'\t'Metadata k=v on uploads (repeatable).' '-m'\t'Metadata k=v on uploads (repeatable).' '--tag'\t'Tag k=v on uploads (repeatable).' '--content-type'\t'Content-Type of uploads (guessed when absent).' '--part-size'\t'Multipart part size, e.g. 16MiB.' '--compress'\t'Codec of uploads, as for upload.' '--level'\t'Codec level.' '--sse'\t'Server-side encryption of uploads: none, s3, c.' '--sse-c-key-file'\t'SSE-C key file.' '--source-sse-c-key-file'\t'Between two endpoints: the SSE-C key of the source objects, when it is not the destination\'s.' '--retain'\t'Object lock on uploads: 90d / 1y / a date.' '--retain-mode'\t'governance (default) or compliance.' '--legal-hold'\t'Uploads under legal hold.' '--no-state'\t'Do not use the local state store: HEAD every object compared.' '--watch'\t'After the first pass keep running: upload each new or changed file once complete (local -> s3 only).' '--settle'\t'--watch: seconds a file\'s size and mtime must stay unchanged when the kernel cannot say it was closed.' '--remove-source'\t'--watch: delete a local file once its upload is verified.' '--remove-after-settle'\t'--watch --remove-source: also remove files the kernel cannot say are closed (no read lease), once unchanged for --settle.' '--metrics-file'\t'--watch: write Prometheus figures to FILE (node_exporter textfile, atomic).' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_12_args ':object' ':object'
set -g __its_store_13_opts '--recursive' '-r' '--shard' '--workers' '-w' '--sse-c-key-file' '--source-sse-c-key-file' '--follow-symlinks' '--json' '--help' '-h'
set -g __its_store_13_optv '!' '!' '' '' '' '' '' '!' '!' '!' '!'
set -g __its_store_13_optd '--recursive'\t'Everything under a prefix / folder.' '-r'\t'Everything under a prefix / folder.' '--shard'\t'With -r: only shard K of N (K/N, from 0), by the key or path below SRC.' '--workers'\t'Objects or files copied at once.' '-w'\t'Objects or files copied at once.' '--sse-c-key-file'\t'SSE-C key for uploads/downloads (raw, base64 or hex). Else MINIO_SSE_C_KEY(_FILE).' '--source-sse-c-key-file'\t'Between two endpoints: the SSE-C key of the source objects, when it is not the destination\'s (--sse-c-key-file, else that endpoint\'s MINIO_SSE_C_KEY).' '--follow-symlinks'\t'Follow symbolic links (default: a link is skipped and reported).' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_13_args ':object' ':object'
set -g __its_store_14_opts '--recursive' '-r' '--shard' '--workers' '-w' '--sse-c-key-file' '--source-sse-c-key-file' '--follow-symlinks' '--json' '--help' '-h'
set -g __its_store_14_optv '!' '!' '' '' '' '' '' '!' '!' '!' '!'
set -g __its_store_14_optd '--recursive'\t'Everything under a prefix / folder.' '-r'\t'Everything under a prefix / folder.' '--shard'\t'With -r: only shard K of N (K/N, from 0), by the key or path below SRC.' '--workers'\t'Objects or files copied at once.' '-w'\t'Objects or files copied at once.' '--sse-c-key-file'\t'SSE-C key for uploads/downloads (raw, base64 or hex). Else MINIO_SSE_C_KEY(_FILE).' '--source-sse-c-key-file'\t'Between two endpoints: the SSE-C key of the source objects, when it is not the destination\'s (--sse-c-key-file, else that endpoint\'s MINIO_SSE_C_KEY).' '--follow-symlinks'\t'Follow symbolic links (default: a link is skipped and reported).' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_14_args ':object' ':object'
set -g __its_store_15_opts '--depth' '-d' '--versions' '--json' '--help' '-h'
set -g __its_store_15_optv '' '' '!' '!' '!' '!'
set -g __its_store_15_optd '--depth'\t'Also show folders this many levels down (0: the total only).' '-d'\t'Also show folders this many levels down (0: the total only).' '--versions'\t'Count noncurrent versions and delete markers (0 bytes) too.' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_15_args ':object'
set -g __its_store_16_opts '--recursive' '-r' '--shard' '--newer-than' '--older-than' '--download' '--workers' '-w' '--json' '--help' '-h'
set -g __its_store_16_optv '!' '!' '' '' '' '!' '' '' '!' '!' '!'
set -g __its_store_16_optd '--recursive'\t'Every object under the prefix.' '-r'\t'Every object under the prefix.' '--shard'\t'Only shard K of N (K/N, from 0), by key.' '--newer-than'\t'Only objects modified within this long (7d, 12h) or since this date.' '--older-than'\t'Only objects modified longer ago than this (7d) or before this date.' '--download'\t'Folder compare: read objects with no recorded hash and compare the bytes.' '--workers'\t'Objects checked at once.' '-w'\t'Objects checked at once.' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_16_args '' ''
set -g __its_store_17_cmds 'ls' 'create' 'rm' 'info' 'versioning' 'lifecycle' 'encryption' 'retention' 'policy'
set -g __its_store_17_kids 18 19 20 21 22 23 27 31 35
set -g __its_store_17_cmdd 'ls'\t'List buckets with their creation dates (--json prints JSON Lines).' 'create'\t'Create a bucket; with --preset, also turn on versioning, default encryption and the preset\'s rule.' 'rm'\t'Remove a bucket.' 'info'\t'Show a bucket\'s versioning, encryption, lifecycle rules, tags, object count and size.' 'versioning'\t'Turn bucket versioning on, suspend it (off), or show its status (Enabled, Suspended, Off).' 'lifecycle'\t'Lifecycle rules: expire objects and old versions, clean up uploads.' 'encryption'\t'Bucket default encryption (SSE-S3, or SSE-KMS with a KMS key).' 'retention'\t'A bucket\'s default retention of new objects: set, show, rm.' 'policy'\t'Bucket policy: public read/write under a prefix, or any JSON.'
set -g __its_store_17_opts '--help' '-h'
set -g __its_store_17_optv '!' '!'
set -g __its_store_17_optd '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_17_args
set -g __its_store_18_opts '--json' '--help' '-h'
set -g __its_store_18_optv '!' '!' '!'
set -g __its_store_18_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_18_args ''
set -g __its_store_19_opts '--preset' '--versioning' '--no-versioning' '--encryption' '--no-encryption' '--object-lock' '--json' '--help' '-h'
set -g __its_store_19_optv '=video logs models evidence' '!' '!' '!' '!' '!' '!' '!' '!'
set -g __its_store_19_optd '--preset'\t'Retention preset: video (30 d), logs (90 d), models (old versions 365 d), evidence (object lock, 90 d governance retention, encryption).' '--versioning'\t'Default: MINIO_ENABLE_VERSIONING (a preset turns it on).' '--no-versioning'\t'Default: MINIO_ENABLE_VERSIONING (a preset turns it on).' '--encryption'\t'SSE-S3 by default for new objects. Default: on with a preset when MINIO_ENABLE_ENCRYPTION.' '--no-encryption'\t'SSE-S3 by default for new objects. Default: on with a preset when MINIO_ENABLE_ENCRYPTION.' '--object-lock'\t'Object lock (WORM; turns versioning on). Only possible at creation.' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_19_args ''
set -g __its_store_20_opts '--force' '--yes' '-y' '--json' '--help' '-h'
set -g __its_store_20_optv '!' '!' '!' '!' '!' '!'
set -g __its_store_20_optd '--force'\t'Delete every object version first.' '--yes'\t'Do not ask (required with --force without a terminal).' '-y'\t'Do not ask (required with --force without a terminal).' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_20_args ''
set -g __its_store_21_opts '--json' '--help' '-h'
set -g __its_store_21_optv '!' '!' '!'
set -g __its_store_21_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_21_args ''
set -g __its_store_22_opts '--json' '--help' '-h'
set -g __its_store_22_optv '!' '!' '!'
set -g __its_store_22_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_22_args '' '=on off status'
set -g __its_store_23_cmds 'set' 'show' 'rm'
set -g __its_store_23_kids 24 25 26
set -g __its_store_23_cmdd 'set'\t'Add or replace a lifecycle rule (same id: replaced), or set every rule from a JSON file.' 'show'\t'Show a bucket\'s lifecycle rules (none: an empty list, exit 0).' 'rm'\t'Remove one lifecycle rule (--id), or all of them.'
set -g __its_store_23_opts '--help' '-h'
set -g __its_store_23_optv '!' '!'
set -g __its_store_23_optd '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_23_args
set -g __its_store_24_opts '--id' '--prefix' '--expire-days' '--expire-date' '--noncurrent-expire-days' '--abort-multipart-days' '--tag' '--file' '-f' '--preset' '--replace' '--json' '--help' '-h'
set -g __its_store_24_optv '' '' '' '' '' '' '' '' '' '=video logs models evidence' '!' '!' '!' '!'
set -g __its_store_24_optd '--id'\t'Rule id (default: derived from the rule).' '--prefix'\t'Only keys under this prefix.' '--expire-days'\t'Expire objects this many days after creation.' '--expire-date'\t'Expire objects from this date (YYYY-MM-DD).' '--noncurrent-expire-days'\t'Delete versions this many days after they stopped being current.' '--abort-multipart-days'\t'Abort unfinished multipart uploads after this many days.' '--tag'\t'Only objects with this tag k=v (repeatable).' '--file'\t'Rules from a JSON file (replaces all rules).' '-f'\t'Rules from a JSON file (replaces all rules).' '--preset'\t'A retention preset\'s rule.' '--replace'\t'Replace every existing rule, not just this id.' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_24_args ''
set -g __its_store_25_opts '--json' '--help' '-h'
set -g __its_store_25_optv '!' '!' '!'
set -g __its_store_25_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_25_args ''
set -g __its_store_26_opts '--id' '--json' '--help' '-h'
set -g __its_store_26_optv '' '!' '!' '!'
set -g __its_store_26_optd '--id'\t'Remove only this rule (default: all rules).' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_26_args ''
set -g __its_store_27_cmds 'set' 'show' 'rm'
set -g __its_store_27_kids 28 29 30
set -g __its_store_27_cmdd 'set'\t'Encrypt new objects of a bucket by default (SSE-S3 unless --kms-key).' 'show'\t'Show a bucket\'s default encryption (none, SSE-S3 or SSE-KMS).' 'rm'\t'Remove a bucket\'s default encryption (objects already stored stay encrypted).'
set -g __its_store_27_opts '--help' '-h'
set -g __its_store_27_optv '!' '!'
set -g __its_store_27_optd '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_27_args
set -g __its_store_28_opts '--kms-key' '--json' '--help' '-h'
set -g __its_store_28_optv '' '!' '!' '!'
set -g __its_store_28_optd '--kms-key'\t'SSE-KMS with this KMS key id (needs a KMS on the server); default SSE-S3.' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_28_args ''
set -g __its_store_29_opts '--json' '--help' '-h'
set -g __its_store_29_optv '!' '!' '!'
set -g __its_store_29_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_29_args ''
set -g __its_store_30_opts '--json' '--help' '-h'
set -g __its_store_30_optv '!' '!' '!'
set -g __its_store_30_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_30_args ''
set -g __its_store_31_cmds 'set' 'show' 'rm'
set -g __its_store_31_kids 32 33 34
set -g __its_store_31_cmdd 'set'\t'Set the default retention of new objects in a bucket with object lock.' 'show'\t'Show whether a bucket has object lock and its default retention.' 'rm'\t'Remove a bucket\'s default retention (object lock itself stays on; retained objects stay retained).'
set -g __its_store_31_opts '--help' '-h'
set -g __its_store_31_optv '!' '!'
set -g __its_store_31_optd '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_31_args
set -g __its_store_32_opts '--mode' '--days' '--years' '--json' '--help' '-h'
set -g __its_store_32_optv '=governance compliance' '' '' '!' '!' '!'
set -g __its_store_32_optd '--mode'\t'governance (liftable with --bypass-governance) or compliance (nobody can shorten or lift it).' '--days'\t'Retain new objects this many days.' '--years'\t'Retain new objects this many years.' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_32_args ''
set -g __its_store_33_opts '--json' '--help' '-h'
set -g __its_store_33_optv '!' '!' '!'
set -g __its_store_33_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_33_args ''
set -g __its_store_34_opts '--json' '--help' '-h'
set -g __its_store_34_optv '!' '!' '!'
set -g __its_store_34_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_34_args ''
set -g __its_store_35_cmds 'set' 'show' 'rm'
set -g __its_store_35_kids 36 37 38
set -g __its_store_35_cmdd 'set'\t'Replace the bucket\'s policy.' 'show'\t'Print the bucket\'s policy JSON and, for a human, who may do what where (none: exit 0).' 'rm'\t'Remove the bucket\'s policy: back to access with credentials only.'
set -g __its_store_35_opts '--help' '-h'
set -g __its_store_35_optv '!' '!'
set -g __its_store_35_optd '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_35_args
set -g __its_store_36_opts '--public-read' '--public-write' '--file' '-f' '--json' '--help' '-h'
set -g __its_store_36_optv '' '' '' '' '!' '!' '!'
set -g __its_store_36_optd '--public-read'\t'Anyone may GET objects under this prefix (repeatable).' '--public-write'\t'Anyone may PUT objects under this prefix (repeatable).' '--file'\t'The policy as a JSON file.' '-f'\t'The policy as a JSON file.' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_36_args ''
set -g __its_store_37_opts '--json' '--help' '-h'
set -g __its_store_37_optv '!' '!' '!'
set -g __its_store_37_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_37_args ''
set -g __its_store_38_opts '--yes' '-y' '--json' '--help' '-h'
set -g __its_store_38_optv '!' '!' '!' '!' '!'
set -g __its_store_38_optd '--yes'\t'Do not ask (required without a terminal).' '-y'\t'Do not ask (required without a terminal).' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_38_args ''
set -g __its_store_39_cmds 'set' 'get' 'rm'
set -g __its_store_39_kids 40 41 42
set -g __its_store_39_cmdd 'set'\t'Add or change tags (others are kept unless --replace).' 'get'\t'Show the tags of an object (or one version of it) or of a bucket.' 'rm'\t'Remove the named tags, or every tag when none is named.'
set -g __its_store_39_opts '--help' '-h'
set -g __its_store_39_optv '!' '!'
set -g __its_store_39_optd '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_39_args
set -g __its_store_40_opts 
set -g __its_store_40_optv 
set -g __its_store_40_optd 
set -g __its_store_40_args ''
set -g __its_store_40_rest ''
set -g __its_store_41_opts '--version-id' '--json' '--help' '-h'
set -g __its_store_41_optv '' '!' '!' '!'
set -g __its_store_41_optd '--version-id'\t'Tags of this object version.' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_41_args ''
set -g __its_store_42_opts 
set -g __its_store_42_optv 
set -g __its_store_42_optd 
set -g __its_store_42_args ''
set -g __its_store_42_rest ''
set -g __its_store_43_cmds 'register' 'list' 'show' 'pull' 'url' 'promote' 'aliases' 'rm' 'lineage' 'seal' 'diff' 'verify' 'gc' 'webhooks'
set -g __its_store_43_kids 44 45 46 47 48 49 50 51 52 53 54 55 56 57
set -g __its_store_43_cmdd 'register'\t'Register a model file or folder as NAME@VERSION (immutable; the manifest is written last).' 'list'\t'List model versions with filters on tags and metrics.' 'show'\t'Show one version: metrics, tags, files with sha256, training config, aliases, provenance.' 'pull'\t'Download a version, verifying every file\'s sha256; cached files are not downloaded again.' 'url'\t'Print presigned download URL(s) of a version: the file itself, or one line per file of a folder model.' 'promote'\t'Point an alias (production, staging, ...) at a version; the change is kept in the alias history.' 'aliases'\t'Show a model\'s aliases and their history (who, when, previous version).' 'rm'\t'Remove a version (its manifest first, then its files).' 'lineage'\t'Show where a version came from (parents, their parents, datasets, run, git) and what came from it.' 'seal'\t'Close a version to new variants (promoting it does the same).' 'diff'\t'Compare two versions: metrics with deltas, tags, training config keys, files by sha256, lineage.' 'verify'\t'Re-read every stored file of a version and check its sha256 against the manifest (exit 4 if damaged).' 'gc'\t'Remove old versions (beyond the newest N, older than an age) and registrations killed midway.' 'webhooks'\t'Webhook events of the registry (MINIO_MODEL_WEBHOOK_URL).'
set -g __its_store_43_opts '--help' '-h'
set -g __its_store_43_optv '!' '!'
set -g __its_store_43_optd '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_43_args
set -g __its_store_44_opts '--name' '-n' '--version' '--metric' '-m' '--config' '-c' '--tag' '--description' '-d' '--force' '--variant' '--dataset' '--parent' '--run-id' '--no-git' '--card' '--no-dedup' '--follow-symlinks' '--json' '--help' '-h'
set -g __its_store_44_optv '' '' '' '' '' '' '' '' '' '' '!' '' '' '' '' '!' '' '!' '!' '!' '!' '!'
set -g __its_store_44_optd '--name'\t'Model name, e.g. yolo11_traffic.' '-n'\t'Model name, e.g. yolo11_traffic.' '--version'\t'Semantic version (2.0.0), or \'auto\' for the next patch.' '--metric'\t'Metric k=number (repeatable).' '-m'\t'Metric k=number (repeatable).' '--config'\t'Training config file (JSON, or YAML with PyYAML).' '-c'\t'Training config file (JSON, or YAML with PyYAML).' '--tag'\t'Tag k=v (repeatable).' '--description'\t'Free text.' '-d'\t'Free text.' '--force'\t'Overwrite an existing version.' '--variant'\t'Add the files as this variant of the version (onnx, trt-sm89-trt10.3, ...); an existing open version gains it.' '--dataset'\t'Training data, URI[@VERSION] (repeatable).' '--parent'\t'Model it was derived from, NAME@VERSION; must exist (repeatable).' '--run-id'\t'Training run id (MLflow, W&B, CI job...).' '--no-git'\t'Do not record the git commit of this folder.' '--card'\t'Model card (Markdown) stored with the version.' '--no-dedup'\t'Upload every file even when the registry already holds its bytes.' '--follow-symlinks'\t'Follow symbolic links (default: a link out of the folder is refused).' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_44_args ''
set -g __its_store_45_opts '--tag' '--where' '-w' '--sort' '--asc' '--limit' '--offline' '--json' '--help' '-h'
set -g __its_store_45_optv '' '' '' '' '!' '' '!' '!' '!' '!'
set -g __its_store_45_optd '--tag'\t'Only versions with tag k=v (repeatable).' '--where'\t'Metric condition, e.g. \'accuracy>=0.9\' (>=, <=, >, <, ==, !=; repeatable).' '-w'\t'Metric condition, e.g. \'accuracy>=0.9\' (>=, <=, >, <, ==, !=; repeatable).' '--sort'\t'version, created, or a metric name (highest/newest first).' '--asc'\t'Ascending order.' '--limit'\t'At most this many, after filtering.' '--offline'\t'Answer from the local cache only (last manifests and aliases seen); no network. Also ITS_STORE_OFFLINE=1.' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_45_args ':model'
set -g __its_store_46_opts '--offline' '--json' '--help' '-h'
set -g __its_store_46_optv '!' '!' '!' '!'
set -g __its_store_46_optd '--offline'\t'Answer from the local cache only (last manifests and aliases seen); no network. Also ITS_STORE_OFFLINE=1.' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_46_args ':model'
set -g __its_store_47_opts '--force' '--variant' '--gpu-arch' '--trt-version' '--offline' '--json' '--help' '-h'
set -g __its_store_47_optv '!' '' '' '' '!' '!' '!' '!'
set -g __its_store_47_optd '--force'\t'Replace an existing destination folder.' '--variant'\t'A variant by name, or \'auto\': the TensorRT engine for this GPU and TensorRT, else onnx.' '--gpu-arch'\t'GPU architecture for --variant auto (sm89 or 8.9); default: from nvidia-smi.' '--trt-version'\t'TensorRT version for --variant auto (10.3); default: the installed one.' '--offline'\t'Answer from the local cache only (last manifests and aliases seen); no network. Also ITS_STORE_OFFLINE=1.' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_47_args ':model' ''
set -g __its_store_48_opts '--expires' '--json' '--help' '-h'
set -g __its_store_48_optv '' '!' '!' '!'
set -g __its_store_48_optd '--expires'\t'Validity, at most 7d (e.g. 30m, 1h, 7d).' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_48_args ':model'
set -g __its_store_49_opts '--json' '--help' '-h'
set -g __its_store_49_optv '!' '!' '!'
set -g __its_store_49_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_49_args ':model' ''
set -g __its_store_50_opts '--json' '--help' '-h'
set -g __its_store_50_optv '!' '!' '!'
set -g __its_store_50_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_50_args ':model'
set -g __its_store_51_opts '--force' '--yes' '-y' '--json' '--help' '-h'
set -g __its_store_51_optv '!' '!' '!' '!' '!' '!'
set -g __its_store_51_optd '--force'\t'Remove even if an alias points to it (drops the alias).' '--yes'\t'Do not ask (required without a terminal).' '-y'\t'Do not ask (required without a terminal).' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_51_args ':model'
set -g __its_store_52_opts '--json' '--help' '-h'
set -g __its_store_52_optv '!' '!' '!'
set -g __its_store_52_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_52_args ':model'
set -g __its_store_53_opts '--json' '--help' '-h'
set -g __its_store_53_optv '!' '!' '!'
set -g __its_store_53_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_53_args ':model'
set -g __its_store_54_opts '--json' '--help' '-h'
set -g __its_store_54_optv '!' '!' '!'
set -g __its_store_54_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_54_args ':model' ':model'
set -g __its_store_55_opts '--json' '--help' '-h'
set -g __its_store_55_optv '!' '!' '!'
set -g __its_store_55_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_55_args ':model'
set -g __its_store_56_opts '--keep-last' '--older-than' '--stale' '--dry-run' '--yes' '-y' '--json' '--help' '-h'
set -g __its_store_56_optv '' '' '' '!' '!' '!' '!' '!' '!'
set -g __its_store_56_optd '--keep-last'\t'Always keep the newest N versions of each model (at least 1).' '--older-than'\t'Remove only versions created longer ago than this (90d, 12h, 2w).' '--stale'\t'Remove registrations killed midway whose marker is older than this (at once: one whose process provably ended on this machine).' '--dry-run'\t'List what would be removed; change nothing.' '--yes'\t'Do not ask (required without a terminal).' '-y'\t'Do not ask (required without a terminal).' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_56_args ':model'
set -g __its_store_57_cmds 'flush'
set -g __its_store_57_kids 58
set -g __its_store_57_cmdd 'flush'\t'Send the webhook events waiting in the outbox (left when the webhook was down), oldest first.'
set -g __its_store_57_opts '--help' '-h'
set -g __its_store_57_optv '!' '!'
set -g __its_store_57_optd '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_57_args
set -g __its_store_58_opts '--json' '--help' '-h'
set -g __its_store_58_optv '!' '!' '!'
set -g __its_store_58_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_58_args
set -g __its_store_59_cmds 'stats' 'clear' 'prune'
set -g __its_store_59_kids 60 61 62
set -g __its_store_59_cmdd 'stats'\t'Show the cache backend, where it lives, its entries and size, TTL and hit rate.' 'clear'\t'Drop every cached entry (disk and Redis).' 'prune'\t'Trim the local model blob cache (model pulls), least recently used first.'
set -g __its_store_59_opts '--help' '-h'
set -g __its_store_59_optv '!' '!'
set -g __its_store_59_optd '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_59_args
set -g __its_store_60_opts '--json' '--help' '-h'
set -g __its_store_60_optv '!' '!' '!'
set -g __its_store_60_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_60_args
set -g __its_store_61_opts '--json' '--help' '-h'
set -g __its_store_61_optv '!' '!' '!'
set -g __its_store_61_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_61_args
set -g __its_store_62_opts '--max-size' '--json' '--help' '-h'
set -g __its_store_62_optv '' '!' '!' '!'
set -g __its_store_62_optd '--max-size'\t'Keep the model blob cache at most this big (10GiB, 500MB, 0).' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_62_args
set -g __its_store_63_cmds 'tail' 'ship'
set -g __its_store_63_kids 64 65
set -g __its_store_63_cmdd 'tail'\t'Show the last entries of the audit log, oldest first.' 'ship'\t'Upload the audit lines appended since the last ship to MINIO_LOGS_BUCKET (safe from cron).'
set -g __its_store_63_opts '--help' '-h'
set -g __its_store_63_optv '!' '!'
set -g __its_store_63_optd '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_63_args
set -g __its_store_64_opts '--lines' '-n' '--json' '--help' '-h'
set -g __its_store_64_optv '' '' '!' '!' '!'
set -g __its_store_64_optd '--lines'\t'How many entries.' '-n'\t'How many entries.' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_64_args
set -g __its_store_65_opts '--json' '--help' '-h'
set -g __its_store_65_optv '!' '!' '!'
set -g __its_store_65_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_65_args
set -g __its_store_66_cmds 'set' 'show'
set -g __its_store_66_kids 67 68
set -g __its_store_66_cmdd 'set'\t'Retain an object version (or every object under a prefix with -r) until a date.' 'show'\t'Show an object version\'s retention mode, retain-until date and legal hold.'
set -g __its_store_66_opts '--help' '-h'
set -g __its_store_66_optv '!' '!'
set -g __its_store_66_optd '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_66_args
set -g __its_store_67_opts '--mode' '--until' '--days' '--version-id' '--recursive' '-r' '--bypass-governance' '--json' '--help' '-h'
set -g __its_store_67_optv '=governance compliance' '' '' '' '!' '!' '!' '!' '!' '!'
set -g __its_store_67_optd '--mode'\t'governance (liftable with --bypass-governance) or compliance (nobody can shorten or lift it).' '--until'\t'Retain until this date (2027-01-31, UTC) or ISO time.' '--days'\t'Retain this many days from now.' '--version-id'\t'A specific object version.' '--recursive'\t'The current version of every object under the prefix.' '-r'\t'The current version of every object under the prefix.' '--bypass-governance'\t'Allow shortening governance retention (never compliance).' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_67_args ':object'
set -g __its_store_68_opts '--version-id' '--json' '--help' '-h'
set -g __its_store_68_optv '' '!' '!' '!'
set -g __its_store_68_optd '--version-id'\t'A specific object version.' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_68_args ':object'
set -g __its_store_69_cmds 'on' 'off' 'show'
set -g __its_store_69_kids 70 71 72
set -g __its_store_69_cmdd 'on'\t'Put an object version (or every object under a prefix with -r) under legal hold.' 'off'\t'Lift the legal hold of an object version (or of every object under a prefix with -r).' 'show'\t'Show whether an object version is under legal hold (and its retention).'
set -g __its_store_69_opts '--help' '-h'
set -g __its_store_69_optv '!' '!'
set -g __its_store_69_optd '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_69_args
set -g __its_store_70_opts '--version-id' '--recursive' '-r' '--json' '--help' '-h'
set -g __its_store_70_optv '' '!' '!' '!' '!' '!'
set -g __its_store_70_optd '--version-id'\t'A specific object version.' '--recursive'\t'The current version of every object under the prefix.' '-r'\t'The current version of every object under the prefix.' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_70_args ':object'
set -g __its_store_71_opts '--version-id' '--recursive' '-r' '--json' '--help' '-h'
set -g __its_store_71_optv '' '!' '!' '!' '!' '!'
set -g __its_store_71_optd '--version-id'\t'A specific object version.' '--recursive'\t'The current version of every object under the prefix.' '-r'\t'The current version of every object under the prefix.' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_71_args ':object'
set -g __its_store_72_opts '--version-id' '--json' '--help' '-h'
set -g __its_store_72_optv '' '!' '!' '!'
set -g __its_store_72_optd '--version-id'\t'A specific object version.' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_72_args ':object'
set -g __its_store_73_cmds 'show' 'install'
set -g __its_store_73_kids 74 75
set -g __its_store_73_cmdd 'show'\t'Print the completion script of SHELL, generated from this version of its-store.' 'install'\t'Install the completion script of SHELL where that shell loads it, replacing an older one.'
set -g __its_store_73_opts '--help' '-h'
set -g __its_store_73_optv '!' '!'
set -g __its_store_73_optd '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_73_args
set -g __its_store_74_opts '--help' '-h'
set -g __its_store_74_optv '!' '!'
set -g __its_store_74_optd '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_74_args '=bash zsh fish'
set -g __its_store_75_opts '--help' '-h'
set -g __its_store_75_optv '!' '!'
set -g __its_store_75_optd '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_75_args '=bash zsh fish'
set -g __its_store_76_cmds 'add' 'ls' 'show' 'rm' 'test'
set -g __its_store_76_kids 77 78 79 80 81
set -g __its_store_76_cmdd 'add'\t'Add a remote to $XDG_CONFIG_HOME/its-store/remotes.toml (mode 0600; the secret key is stored there).' 'ls'\t'List the remotes (from the file and the environment), secrets masked.' 'show'\t'Show one remote, its secret key masked.' 'rm'\t'Remove a remote from the file (one defined by variables: unset them).' 'test'\t'Check that the remote\'s endpoint answers and its keys work (the `health` check, on that endpoint).'
set -g __its_store_76_opts '--help' '-h'
set -g __its_store_76_optv '!' '!'
set -g __its_store_76_optd '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_76_args
set -g __its_store_77_opts '--access-key' '--secret-key-file' '--secret-key-stdin' '--region' '--ca-bundle' '--verify-tls' '--no-verify-tls' '--proxy' '--bwlimit' '--replace' '--json' '--help' '-h'
set -g __its_store_77_optv '' '' '!' '' '' '!' '!' '' '' '!' '!' '!' '!'
set -g __its_store_77_optd '--access-key'\t'The access key id.' '--secret-key-file'\t'Read the secret key from this file (else --secret-key-stdin, else a hidden prompt on a terminal).' '--secret-key-stdin'\t'Read the secret key from standard input.' '--region'\t'Region (default us-east-1).' '--ca-bundle'\t'CA certificates (PEM) to trust for this endpoint.' '--verify-tls'\t'Check the TLS certificate (--no-verify-tls: unsafe).' '--no-verify-tls'\t'Check the TLS certificate (--no-verify-tls: unsafe).' '--proxy'\t'HTTP proxy for this endpoint (default: HTTP(S)_PROXY).' '--bwlimit'\t'Bandwidth limit of this remote, e.g. 10M or a timetable "08:00,1M 19:00,off".' '--replace'\t'Replace a remote of the same name.' '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_77_args '' ''
set -g __its_store_78_opts '--json' '--help' '-h'
set -g __its_store_78_optv '!' '!' '!'
set -g __its_store_78_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_78_args
set -g __its_store_79_opts '--json' '--help' '-h'
set -g __its_store_79_optv '!' '!' '!'
set -g __its_store_79_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_79_args ':remote'
set -g __its_store_80_opts '--json' '--help' '-h'
set -g __its_store_80_optv '!' '!' '!'
set -g __its_store_80_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_80_args ':remote'
set -g __its_store_81_opts '--json' '--help' '-h'
set -g __its_store_81_optv '!' '!' '!'
set -g __its_store_81_optd '--json'\t'Print JSON to stdout (JSON Lines for listings).' '--help'\t'Show this message and exit.' '-h'\t'Show this message and exit.'
set -g __its_store_81_args ':remote'

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
