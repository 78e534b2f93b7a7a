/*
 * lock.h — one consumer at a time on a piece of state.
 *
 * The lock for state file PATH lives in its sibling "PATH.lock", so it
 * survives the renames of ex_replace.  It is opened as a state file
 * (durable.h): never through a symbolic link, never a FIFO or a device.
 * It records its holder in one line, "PID PGID START BOOT PPID PSTART":
 * the process that took it, that process's group, its start time (clock
 * ticks since boot, from /proc/PID/stat), the boot's id, and its parent
 * with its start time.
 *
 * Without EX_LOCK_GROUP the holder is one process (the seen-set's
 * writer): flock(2) held for the whole run, which the kernel drops when
 * the process dies, however it dies.
 *
 * With EX_LOCK_GROUP the holder is a process group, the stages of one
 * shell pipeline: "logcat -o F | ... | commit -o F" is one consumer of F,
 * and holds F while any process of its pipeline lives — a stage that
 * starts late and has not taken the lock yet, the stages between that
 * never take it, a command that a killed stage left behind.  A process of
 * another group is refused while one lives; a process of the recorded
 * group joins, and the record names it from then on.  The processes that
 * count are those of the recorded group, not zombies, that started no
 * earlier than the shell that started the recorded process (its parent),
 * other
 * than that shell itself and the newcomer's own ancestors: what a script
 * ran before, a test harness, a shell waiting for the newcomer are not
 * consumers of F.  (A process kill(2) may not signal counts; the recorded
 * process itself always does.)  The record is read and written under a
 * flock(2) held only for that moment; one that stays held (flock(1) on
 * the lock file) is another consumer.
 *
 * A record is stale, and taken over, once no such process lives, its boot
 * is not this boot, or its group's number has passed to a new group (a
 * leader that started after the recorded process): a consumer killed
 * whole never blocks the next.
 *
 * So the stages of one pipeline must share its process group (timeout(1)
 * gives its command a group of its own: use it around the whole pipeline,
 * or with --foreground).  A shell without job control (a script, sh -c)
 * runs all its pipelines in its own group: two it starts at once on one
 * file are one consumer to the lock, and what it starts after running a
 * consumer of F holds F against consumers elsewhere, until it ends.  Run
 * such pipelines under setsid(1).
 *
 * Without EX_LOCK_WAIT a held lock is fatal: exit 75, naming the holder.
 * With it, the caller waits until the holder is gone.
 */
#ifndef EX_LOCK_H
#define EX_LOCK_H

#define EX_LOCK_WAIT  1 /* wait for the holder instead of exiting 75 */
#define EX_LOCK_GROUP 2 /* held by our process group, as above */

/* Returns the lock file's descriptor: close it, or exit, to let go of a
 * lock without EX_LOCK_GROUP. */
int ex_lock(const char *path, int flags);

/* Locks the directory PATH itself (flock(2) on it, held for the run) after
 * ex_lock has taken PATH.lock: a second name for the directory (a
 * symbolic link to it) takes a lock of its own, but never this one.
 * Returns its descriptor; EX_LOCK_WAIT as above. */
int ex_lock_dir(const char *path, int flags);

#endif
