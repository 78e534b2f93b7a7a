#!/usr/bin/env bats
# The soak: the exactly-once pipeline of DESIGN.md section 4 restarted 200
# times (SOAK_RUNS), each run hit at a random moment by a random signal
# (TERM, INT, HUP, PIPE or KILL) sent to a random stage (logcat, dedup,
# the charging command, commit), while a producer keeps appending events,
# some of them retries of an earlier one.  After every run the offset file
# is whole and has not gone back; at the end every distinct event has been
# charged (none lost), and an event charged twice is only ever the one
# that was in flight when the run before was hit (dedup -e -n 1: the
# window between an effect and its acknowledgement, one record).  Seeded
# (SOAK_SEED), so a failure can be run again.

# bats file_tags=slow

load test_helper

RUNS=${SOAK_RUNS:-200}
STAGES=(logcat dedup charge commit)
SIGS=(TERM INT HUP PIPE KILL)

setup() {
	cat >charge <<-'EOF'
	#!/bin/sh
	# charge an event: a moment's work (a remote call), append it to the
	# ledger, then acknowledge it
	while IFS= read -r ev; do
		sleep 0.001
		printf '%s\n' "$ev" >>ledger
		printf '%s\n' "$ev"
	done
	EOF
	chmod +x charge
	mkdir st
	: >ledger
	: >events.log
	NEXT=0
}

# produce N: N more events; every tenth repeats the click_id of the one
# five before it (a producer's retry).
produce() {
	awk -v f="$NEXT" -v n="$1" 'BEGIN {
		for (i = f; i < f + n; i++) {
			id = (i % 10 == 9) ? i - 5 : i
			printf "{\"click_id\":\"c%d\",\"n\":%d}\n", id, i
		}
	}' >>events.log
	NEXT=$((NEXT + $1))
}

# stage_pid SH STAGE: the pid of STAGE in the pipeline run by SH, if any.
stage_pid() {
	local d
	case $2 in
	charge)
		d=$(ps -o pid=,comm= --ppid "$1" | awk '$2 == "dedup" { print $1 }')
		[ -z "$d" ] || ps -o pid= --ppid "$d" | head -n 1 ;;
	*)
		ps -o pid=,comm= --ppid "$1" | awk -v s="$2" '$2 == s { print $1 }' ;;
	esac
	return 0
}

# recharged BEFORE RUN: check what RUN charged again, the ledger's lines
# after its first BEFORE: at most the first record it charged, and only
# after a run that was hit.  Counts such a run in dups.
recharged() {
	local b=$1 n late
	read -r n late < <(awk -v b="$b" '
		{ match($0, /"click_id":"[^"]*"/); k = substr($0, RSTART, RLENGTH) }
		NR <= b { seen[k] = 1; next }
		k in seen { n++; if (NR != b + 1) late = 1 }
		{ seen[k] = 1 }
		END { print n + 0, late + 0 }' ledger)
	[ "$n" -gt 0 ] || return 0
	[ "$n" = 1 ] && [ "$late" = 0 ] && [ "${lasthit:-0}" = 1 ] ||
	    fail "$2 charged $n events again (after a run hit: ${lasthit:-0}): $(sed -n "$((b + 1)),$((b + 3))p" ledger)"
	dups=$((dups + 1))
}

PIPE='logcat -o st/off events.log |
    dedup -s st/seen -k click_id -e -- ./charge | commit -a -o st/off'

@test "soak: restarts with random signals to random stages lose nothing, repeat only the record in flight" {
	local i st pid sig stage before prev=0 hit=0 v
	local -A bysig bystage
	RANDOM=${SOAK_SEED:-1}
	produce 200
	sent=0 interrupted=0 dups=0
	for ((i = 1; i <= RUNS; i++)); do
		produce 200
		before=$(wc -l <ledger)
		# a background job of a script starts with SIGINT and SIGQUIT
		# ignored: give the pipeline the defaults a service has
		setsid env --default-signal=INT,QUIT bash -c "set -o pipefail; $PIPE" \
		    >/dev/null 2>>errs 3>&- &
		sh=$!
		sleep "0.$(printf %03d $((RANDOM % 400)))"
		# a random stage of those still running, a random signal
		live=()
		for stage in "${STAGES[@]}"; do
			pid=$(stage_pid "$sh" "$stage")
			[ -z "$pid" ] || live+=("$stage:$pid")
		done
		sig=${SIGS[RANDOM % 5]}
		hit=0
		stage= pid=
		if [ "${#live[@]}" -gt 0 ]; then
			stage=${live[RANDOM % ${#live[@]}]}
			pid=${stage#*:}
			stage=${stage%%:*}
		fi
		if [ -n "$pid" ] && kill -s "$sig" "$pid" 2>/dev/null; then
			hit=1
			sent=$((sent + 1))
			bysig[$sig]=$((${bysig[$sig]:-0} + 1))
			bystage[$stage]=$((${bystage[$stage]:-0} + 1))
		fi
		st=0
		wait "$sh" || st=$?
		[ "$st" = 0 ] || interrupted=$((interrupted + 1))
		released st/off || fail "run $i: st/off still held"
		untear # a signal may have cut the line charge was appending
		# the offset file: whole, never backwards
		if [ -e st/off ]; then
			v=$(cat st/off)
			[[ "$v" =~ ^(0|[1-9][0-9]*)$ ]] &&
			    [ "$(stat -c %s st/off)" = $((${#v} + 1)) ] ||
			    fail "run $i: torn offset file: $(od -c st/off | head -2)"
			[ "$v" -ge "$prev" ] || fail "run $i: offset went back from $prev to $v"
			prev=$v
		fi
		recharged "$before" "run $i"
		lasthit=$hit
	done
	# a last run, left alone, charges whatever is left; it too may charge
	# again the record in flight when the run before it was hit
	before=$(wc -l <ledger)
	run -0 setsid -w sh -c "$PIPE"
	recharged "$before" "the last run"
	# nothing lost: every distinct event of the log was charged
	keyset events.log >allkeys
	keyset ledger >charged
	lost=$(comm -23 allkeys charged | wc -l)
	[ "$lost" = 0 ] || fail "$lost events never charged: $(comm -23 allkeys charged | head -5 | tr '\n' ' ')"
	[ -z "$(comm -13 allkeys charged)" ] || fail "foreign events charged"
	twice=$(keys ledger | uniq -d | wc -l)
	assert_equal "$twice" "$dups"
	[ "$sent" -ge $((RUNS / 2)) ] || fail "only $sent of $RUNS runs were hit"
	summary="$RUNS runs, $sent hit ($(for s in "${SIGS[@]}"; do printf '%s %s, ' "$s" "${bysig[$s]:-0}"; done)"
	summary+="to $(for s in "${STAGES[@]}"; do printf '%s %s, ' "$s" "${bystage[$s]:-0}"; done | sed 's/, $//')), "
	summary+="$interrupted ended by it; $(wc -l <allkeys) distinct events of $NEXT, $lost lost, $twice charged twice"
	echo "# soak: $summary" >&3
	echo "$summary" >"${SOAK_REPORT:-/dev/null}"
	tally soak "$RUNS $sent $lost $twice"
}
