/*
 * lock.h — one consumer at a time on a piece of state.
 *
 * The lock for state file PATH is flock(2) on the sibling "PATH.lock", so
 * it survives the renames of ex_replace and the kernel drops it when its
 * holder dies: a killed consumer never blocks the next one.  The lock file
 * names the holder's pid and process group.
 *
 * EX_LOCK_GROUP shares the lock among the processes of one process group,
 * the stages of one shell pipeline: "logcat -o F | ... | commit -o F" holds
 * F as one consumer, while a second pipeline on F is refused even in the
 * moments when only one of the first pipeline's stages is running.  (The
 * first stage to arrive takes it exclusively, records its group, and turns
 * it into a shared lock that the other stages of that group join.)
 *
 * Without EX_LOCK_WAIT a held lock is fatal: exit 75, naming the holder.
 * With EX_LOCK_GROUP a stage joins the shared lock only when the record
 * names its own process group; an exclusive hold that outlasts a sibling's
 * moment of writing its record (half a second) is another consumer.
 */
#ifndef EX_LOCK_H
#define EX_LOCK_H

#define EX_LOCK_WAIT  1 /* wait for the holder instead of exiting 75 */
#define EX_LOCK_GROUP 2 /* share with our own process group */

/* Returns the lock's descriptor; it is held until closed or exit. */
int ex_lock(const char *path, int flags);

#endif
