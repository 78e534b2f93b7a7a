#!/usr/bin/python3
"""plfs -- a FUSE file system that forgets what was never made durable.

    plfs.py [-a] [-c N] [-m drop|keep|random] [-S seed] [-l log] disk mountpoint

The directory DISK is the disk: it is loaded into memory at mount, and what
is in it counts as durable.  While mounted, every change lives in memory
only, and per file and directory plfs keeps two states: the current one,
which every reader sees, and the durable one, which a power loss would leave
(the model of ALICE, OSDI 2014, for a careful POSIX file system):

  - a file's data and size become durable when the file is fsynced
    (fsync, fdatasync, msync MS_SYNC);
  - a directory's entries (creates, renames, unlinks, mkdir, rmdir in it)
    become durable when that directory is fsynced; a rename between two
    directories is two changes, one in each;
  - nothing else is ever durable: a file fsynced but never linked by a
    durable entry is lost, as is a rename whose directory was not fsynced.

Every fsync of a file, fsync of a directory and rename is a durability
operation: they are numbered from 1 in the order they arrive, and each is
logged as "N op path" to LOG.  With -a every change is numbered too
(write, truncate, create, mkdir, unlink, rmdir): a crash point between
a write and the fsync that should follow it is where a missing fsync
shows.  With -c N, plfs crashes right after the Nth:
it writes the image that a power loss at that instant leaves into DISK, kills
the process group of the last caller that leads a session of its own, as
setsid(1) makes (never plfs's own session, never anything else),
and from then on fails every request with EIO, as a dead disk does, until it
is unmounted.  Without a crash, unmounting writes the current state to DISK,
as a clean shutdown syncs.

The image of a crash (-m): "drop" (the default) keeps only what was made
durable; "keep" keeps everything that reached plfs, which is what a process
crash (kill -9) without a power loss leaves, but for the dirty pages of a
shared mapping, which reach plfs only when the kernel writes them back (at
msync, or at munmap, after the crash, when plfs fails them); "random" applies to the durable state a random
subset, in order, of the writes and truncations made to each file since its
last fsync and a random prefix of the changes made to each directory since
its last fsync, reproducibly for a seed (-S): writes reordered and torn,
renames lost or kept.

Single-threaded (FUSE -s): requests are served one at a time, in order.
Only regular files and directories exist; times are not kept.
"""

import errno
import getopt
import os
import random
import shutil
import signal
import stat
import sys
import time

import fusepy

EIO = fusepy.FuseOSError(errno.EIO)


class Node:
    """A file or directory: its current state and its durable state."""

    def __init__(self, isdir, mode, name):
        self.isdir = isdir
        self.mode = mode
        self.name = name           # the path it was last seen at, for the log
        if isdir:
            self.ents, self.dents = {}, {}
        else:
            self.data, self.ddata = bytearray(), b''
        self.pend = []             # changes since the last fsync, in order


class PLFS(fusepy.Operations):
    # Every request that has a file handle is served from it: a file keeps
    # its identity across renames and unlinks, as an inode does.
    flag_nullpath_ok = 1
    flag_nopath = 1
    use_ns = True

    def __init__(self, disk, crash_at, mode, seed, log, every):
        self.disk = disk
        self.every = every
        self.crash_at = crash_at
        self.mode = mode
        self.seed = seed
        self.log = open(log, 'a', buffering=1) if log else None
        self.nops = 0
        self.crashed = False
        self.victim = 0
        self.fh = {}
        self.nextfh = 1
        self.root = Node(True, 0o755, '/')
        self._load(self.root, disk, '')

    # ---- the disk -------------------------------------------------------

    def _load(self, node, real, path):
        for name in sorted(os.listdir(real)):
            p = os.path.join(real, name)
            st = os.lstat(p)
            if stat.S_ISDIR(st.st_mode):
                child = Node(True, stat.S_IMODE(st.st_mode), path + '/' + name)
                self._load(child, p, path + '/' + name)
            elif stat.S_ISREG(st.st_mode):
                child = Node(False, stat.S_IMODE(st.st_mode), path + '/' + name)
                with open(p, 'rb') as f:
                    child.ddata = f.read()
                child.data = bytearray(child.ddata)
            else:
                continue
            node.ents[name] = node.dents[name] = child

    def _image(self, node, rng):
        """The entries and data a crash leaves, as (isdir, mode, content)."""
        if not node.isdir:
            if self.mode == 'keep':
                return (False, node.mode, bytes(node.data))
            if self.mode == 'drop':
                return (False, node.mode, node.ddata)
            data = bytearray(node.ddata)
            for op in node.pend:
                if rng.random() < 0.5:
                    apply_data(data, op)
            return (False, node.mode, bytes(data))
        if self.mode == 'keep':
            ents = dict(node.ents)
        elif self.mode == 'drop':
            ents = dict(node.dents)
        else:
            ents = dict(node.dents)
            for op in node.pend[:rng.randint(0, len(node.pend))]:
                apply_ent(ents, op)
        return (True, node.mode,
                {name: self._image(child, rng) for name, child in ents.items()})

    def _write(self, real, image):
        isdir, mode, content = image
        if isdir:
            os.mkdir(real, mode)
            for name, child in content.items():
                self._write(os.path.join(real, name), child)
        else:
            with open(real, 'wb') as f:
                f.write(content)
            os.chmod(real, mode)

    def _save(self, image):
        tmp = self.disk.rstrip('/') + '.plfs-new'
        shutil.rmtree(tmp, ignore_errors=True)
        self._write(tmp, image)
        shutil.rmtree(self.disk)
        os.rename(tmp, self.disk)

    def _crash(self):
        self._save(self._image(self.root, random.Random(self.seed)))
        self.crashed = True
        if self.victim:
            try:
                os.killpg(self.victim, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.log:
            self.log.write('crash %s\n' % self.mode)
        # The image is saved: nothing said from here on can change what
        # the test finds.  libfuse may still complain when the unmount
        # aborts a connection whose callers were killed; that is not a
        # failure of the file system.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)

    def _change(self, what, node):
        if self.every:
            self._durable_op(what, node)

    def _durable_op(self, what, node):
        self.nops += 1
        if self.log:
            self.log.write('%d %s %s\n' % (self.nops, what, node.name))
        if self.nops == self.crash_at:
            self._crash()
            raise EIO

    def destroy(self, path):
        if not self.crashed:
            self.mode = 'keep'
            self._save(self._image(self.root, None))
            if self.log:
                self.log.write('unmounted\n')

    # ---- names ----------------------------------------------------------

    def __call__(self, op, *args):
        if self.crashed:
            raise EIO
        self._caller()
        return getattr(self, op)(*args)

    def _caller(self):
        """Remember the process group to kill at a crash: the last caller's,
        if it leads a session of its own (setsid) other than ours.  The
        kernel's own requests (writeback of a mapping) come with pid 0 and
        name nobody; kill(2) of 0 would be our own group."""
        pid = fusepy.fuse_get_context()[2]
        if pid <= 0:
            return
        try:
            pgid, sid = os.getpgid(pid), os.getsid(pid)
        except ProcessLookupError:
            return
        if pgid == sid and sid != os.getsid(0) and pgid > 1:
            self.victim = pgid

    def _lookup(self, path):
        node = self.root
        for part in path.split('/'):
            if not part:
                continue
            if not node.isdir:
                raise fusepy.FuseOSError(errno.ENOTDIR)
            node = node.ents.get(part)
            if node is None:
                raise fusepy.FuseOSError(errno.ENOENT)
        return node

    def _parent(self, path):
        head, name = path.rsplit('/', 1)
        parent = self._lookup(head)
        if not parent.isdir:
            raise fusepy.FuseOSError(errno.ENOTDIR)
        return parent, name

    def _node(self, path, fh):
        if fh:
            return self.fh[fh]
        return self._lookup(path)

    def _open(self, node):
        fh = self.nextfh
        self.nextfh += 1
        self.fh[fh] = node
        return fh

    def _link(self, parent, name, node):
        parent.ents[name] = node
        parent.pend.append(('set', name, node))

    def _unlink(self, parent, name):
        del parent.ents[name]
        parent.pend.append(('del', name))

    # ---- operations -----------------------------------------------------

    def getattr(self, path, fh=None):
        node = self._node(path, fh)
        now = time.time_ns()
        if node.isdir:
            mode, size, nlink = stat.S_IFDIR | node.mode, 4096, 2
        else:
            mode, size, nlink = stat.S_IFREG | node.mode, len(node.data), 1
        return dict(st_mode=mode, st_size=size, st_nlink=nlink,
                    st_uid=os.getuid(), st_gid=os.getgid(),
                    st_atime=now, st_mtime=now, st_ctime=now,
                    st_blocks=(size + 511) // 512)

    def statfs(self, path):
        return dict(f_bsize=4096, f_frsize=4096, f_blocks=1 << 20,
                    f_bfree=1 << 19, f_bavail=1 << 19, f_files=1 << 16,
                    f_ffree=1 << 15, f_favail=1 << 15, f_namemax=255)

    def access(self, path, amode):
        self._lookup(path)

    def chmod(self, path, mode):
        self._lookup(path).mode = stat.S_IMODE(mode)

    def chown(self, path, uid, gid):
        pass

    def utimens(self, path, times=None):
        self._lookup(path)

    def opendir(self, path):
        node = self._lookup(path)
        if not node.isdir:
            raise fusepy.FuseOSError(errno.ENOTDIR)
        return self._open(node)

    def readdir(self, path, fh):
        return ['.', '..'] + list(self.fh[fh].ents)

    def releasedir(self, path, fh):
        self.fh.pop(fh, None)

    def fsyncdir(self, path, datasync, fh):
        node = self.fh[fh]
        node.dents = dict(node.ents)
        node.pend = []
        self._durable_op('fsyncdir', node)

    def mkdir(self, path, mode):
        parent, name = self._parent(path)
        if name in parent.ents:
            raise fusepy.FuseOSError(errno.EEXIST)
        node = Node(True, stat.S_IMODE(mode), path)
        self._link(parent, name, node)
        self._change('mkdir', node)

    def rmdir(self, path):
        parent, name = self._parent(path)
        node = parent.ents.get(name)
        if node is None:
            raise fusepy.FuseOSError(errno.ENOENT)
        if not node.isdir:
            raise fusepy.FuseOSError(errno.ENOTDIR)
        if node.ents:
            raise fusepy.FuseOSError(errno.ENOTEMPTY)
        self._unlink(parent, name)
        self._change('rmdir', node)

    def create(self, path, mode, fi=None):
        parent, name = self._parent(path)
        if name in parent.ents:
            raise fusepy.FuseOSError(errno.EEXIST)
        node = Node(False, stat.S_IMODE(mode), path)
        self._link(parent, name, node)
        fh = self._open(node)
        self._change('create', node)
        return fh

    def open(self, path, flags):
        node = self._lookup(path)
        if node.isdir and (flags & os.O_ACCMODE) != os.O_RDONLY:
            raise fusepy.FuseOSError(errno.EISDIR)
        return self._open(node)

    def read(self, path, size, offset, fh):
        return bytes(self.fh[fh].data[offset:offset + size])

    def write(self, path, data, offset, fh):
        node = self.fh[fh]
        op = ('w', offset, bytes(data))
        apply_data(node.data, op)
        node.pend.append(op)
        self._change('write', node)
        return len(data)

    def truncate(self, path, length, fh=None):
        node = self._node(path, fh)
        if node.isdir:
            raise fusepy.FuseOSError(errno.EISDIR)
        op = ('t', length)
        apply_data(node.data, op)
        node.pend.append(op)
        self._change('truncate', node)

    def flush(self, path, fh):
        pass

    def release(self, path, fh):
        self.fh.pop(fh, None)

    def fsync(self, path, datasync, fh):
        node = self.fh[fh]
        if node.isdir:
            return self.fsyncdir(path, datasync, fh)
        node.ddata = bytes(node.data)
        node.pend = []
        self._durable_op('fdatasync' if datasync else 'fsync', node)

    def unlink(self, path):
        parent, name = self._parent(path)
        node = parent.ents.get(name)
        if node is None:
            raise fusepy.FuseOSError(errno.ENOENT)
        if node.isdir:
            raise fusepy.FuseOSError(errno.EISDIR)
        self._unlink(parent, name)
        self._change('unlink', node)

    def rename(self, old, new):
        op, oname = self._parent(old)
        np, nname = self._parent(new)
        node = op.ents.get(oname)
        if node is None:
            raise fusepy.FuseOSError(errno.ENOENT)
        victim = np.ents.get(nname)
        if victim is node:
            return
        if victim is not None:
            if victim.isdir != node.isdir:
                raise fusepy.FuseOSError(
                    errno.EISDIR if victim.isdir else errno.ENOTDIR)
            if victim.isdir and victim.ents:
                raise fusepy.FuseOSError(errno.ENOTEMPTY)
        if op is np:
            # One change, so a crash keeps the rename whole or not at all.
            del op.ents[oname]
            op.ents[nname] = node
            op.pend.append(('mv', oname, nname, node))
        else:
            self._link(np, nname, node)
            self._unlink(op, oname)
        node.name = new
        self._durable_op('rename', node)

    def symlink(self, target, source):
        raise fusepy.FuseOSError(errno.EPERM)

    def link(self, target, source):
        raise fusepy.FuseOSError(errno.EPERM)

    def mknod(self, path, mode, dev):
        raise fusepy.FuseOSError(errno.EPERM)


def apply_data(data, op):
    if op[0] == 'w':
        _, off, b = op
        if off > len(data):
            data.extend(bytes(off - len(data)))
        data[off:off + len(b)] = b
    else:
        n = op[1]
        if n < len(data):
            del data[n:]
        else:
            data.extend(bytes(n - len(data)))


def apply_ent(ents, op):
    if op[0] == 'set':
        ents[op[1]] = op[2]
    elif op[0] == 'del':
        ents.pop(op[1], None)
    else:
        ents.pop(op[1], None)
        ents[op[2]] = op[3]


def main():
    usage = 'usage: plfs.py [-a] [-c N] [-m drop|keep|random] [-S seed] ' \
            '[-l log] disk mountpoint'
    try:
        opts, args = getopt.getopt(sys.argv[1:], 'ac:l:m:S:')
    except getopt.GetoptError as e:
        sys.exit('plfs: %s\n%s' % (e, usage))
    crash_at, mode, seed, log, every = 0, 'drop', 0, None, False
    for o, a in opts:
        if o == '-a':
            every = True
        elif o == '-c':
            crash_at = int(a)
        elif o == '-l':
            log = a
        elif o == '-m':
            mode = a
        elif o == '-S':
            seed = int(a)
    if len(args) != 2 or mode not in ('drop', 'keep', 'random'):
        sys.exit(usage)
    disk, mnt = args
    if not os.path.isdir(disk):
        sys.exit('plfs: %s: not a directory' % disk)
    fs = PLFS(os.path.abspath(disk), crash_at, mode, seed, log, every)
    try:
        fusepy.FUSE(fs, mnt, foreground=True, nothreads=True,
                    hard_remove=True, entry_timeout=0, attr_timeout=0,
                    negative_timeout=0, fsname='plfs')
    except RuntimeError:
        if not fs.crashed:  # after a crash, see _crash
            raise


if __name__ == '__main__':
    main()
