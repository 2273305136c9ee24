// files.h: files that are whole or not there, one process per run folder,
// and how much memory the machine can still give.
//
// A file is written under fk_tmp_path(path) ("PATH.tmp") and put in place by
// fk_commit(): its bytes are flushed to disk, it is renamed over PATH (the
// rename is atomic) and the folder is flushed, so a crash at any moment
// leaves either the previous PATH or the new one, never a part.
#ifndef FAKEIT_FILES_H
#define FAKEIT_FILES_H

#include <stddef.h>

// "PATH.tmp" (malloc'd).
char *fk_tmp_path(const char *path);

// Flushes `tmp` to disk, renames it over `path`, flushes the folder. 0, or -1
// after printing "PATH: cannot save: reason (...the previous file, if any, is
// intact)" and removing `tmp`.
int fk_commit(const char *tmp, const char *path);

// The whole file `path` = data (n bytes), written aside (under "PATH.PID.tmp",
// so that two processes rewriting one file never share the temporary) and
// committed. 0, or -1 after printing.
int fk_write_file(const char *path, const void *data, size_t n);
// A whole file into *data (malloc'd, NUL-terminated, *n bytes). 0, or -1
// after printing.
int fk_read_file(const char *path, char **data, size_t *n);

// A file fakeit ships (a model, the browser sampler's files): $env when that
// variable is set (env may be NULL), else NAME in models/, build/, ../models/,
// ../build/ or ../share/fakeit/ from the folder of the program or shared
// library this code is linked into (a build tree, or make install's layout).
// The path in buf (n bytes), or NULL when none is readable.
const char *fk_data_file(const char *name, const char *env, char *buf, size_t n);

// fsync of the folder that holds `path`, so that a rename into it lasts.
void fk_sync_dir(const char *path);

// An advisory lock (flock) on the file `lock_path`, held until the process
// ends or fk_unlock(): one writer per run folder (RUN/.lock) or per model
// being trained (MODEL.lock). The file holds the holder's PID and command
// (`what`, e.g. "train"). Returns the lock's descriptor, or -1 after printing
// that `subject` is in use and by which process, or why it cannot be locked.
// A crashed holder leaves the file but not the lock: flock ends with the process.
int fk_lock(const char *lock_path, const char *subject, const char *what);
void fk_unlock(int fd);

// Bytes of memory this process can still get: MemAvailable, bounded by a
// cgroup limit and RLIMIT_AS / RLIMIT_DATA where they are set; 0 when unknown.
// FAKEIT_MEM_AVAILABLE (bytes) overrides it, for tests.
size_t fk_mem_available(void);

// "1.2 GB", "340 MB", "12 KB" into out (n bytes); returns out.
const char *fk_bytes_str(double bytes, char *out, size_t n);

#endif
