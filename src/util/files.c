// files.c: whole-or-nothing files, the run-folder lock, available memory.
#define _GNU_SOURCE  // dladdr
#include "util/files.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

char *fk_tmp_path(const char *path) {
    const size_t n = strlen(path) + 5;
    char *t = fk_malloc(n);
    snprintf(t, n, "%s.tmp", path);
    return t;
}

void fk_sync_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    FK_CHECK(dir != NULL, "out of memory");
    const int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) fsync(fd), close(fd);
    free(dir);
}

int fk_commit(const char *tmp, const char *path) {
    // never rename over a device, a folder or a pipe (-o /dev/null as root would replace the device)
    struct stat st;
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
        fk_error("%s: cannot save: it exists and is not a regular file (a device, folder or pipe); give a file name",
                 path);
        unlink(tmp);
        return -1;
    }
    int fd = open(tmp, O_RDONLY | O_CLOEXEC), err = 0;
    if (fd < 0 || fsync(fd) != 0) err = errno;
    if (fd >= 0) close(fd);
    if (!err && rename(tmp, path) != 0) err = errno;
    if (err) {
        fk_error("%s: cannot save: %s (disk full or not writable? the previous file, if any, is intact)", path,
                 strerror(err));
        unlink(tmp);
        return -1;
    }
    fk_sync_dir(path);
    return 0;
}

int fk_write_file(const char *path, const void *data, size_t n) {
    // a temporary name of this process's own: two processes may rewrite the same
    // file (fakeit report while train writes report.html)
    char *tmp = fk_malloc(strlen(path) + 32);
    sprintf(tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    int err = 0;
    if (!f)
        err = errno;
    else {
        if (n && fwrite(data, 1, n, f) != n) err = errno ? errno : EIO;
        if (fclose(f) != 0 && !err) err = errno;
    }
    if (err) {
        fk_error("%s: cannot write: %s (disk full or not writable? the previous file, if any, is intact)", path,
                 strerror(err));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    const int rc = fk_commit(tmp, path);
    free(tmp);
    return rc;
}

int fk_read_file(const char *path, char **data, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fk_error("%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = fk_malloc(cap + 1);
    for (size_t got; (got = fread(buf + len, 1, cap - len, f)) > 0;) {
        len += got;
        if (len == cap) {
            cap *= 2;
            char *p = realloc(buf, cap + 1);
            FK_CHECK(p != NULL, "out of memory (%zu bytes)", cap);
            buf = p;
        }
    }
    const int bad = ferror(f);
    fclose(f);
    if (bad) {
        fk_error("%s: cannot read: %s", path, strerror(EIO));
        free(buf);
        return -1;
    }
    buf[len] = 0;
    *data = buf, *n = len;
    return 0;
}

const char *fk_data_file(const char *name, const char *env, char *buf, size_t n) {
    const char *e = env ? getenv(env) : NULL;
    if (e && *e) {
        snprintf(buf, n, "%s", e);
        return access(buf, R_OK) == 0 ? buf : NULL;
    }
    // the folder of the program or shared library this code is part of
    Dl_info info;
    char self[4096] = "";
    if (dladdr((void *)fk_data_file, &info) && info.dli_fname && strchr(info.dli_fname, '/') &&
        realpath(info.dli_fname, self)) {
        *strrchr(self, '/') = 0;
    } else {
        const ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
        if (k <= 0) return NULL;
        self[k] = 0;
        *strrchr(self, '/') = 0;
    }
    static const char *const tries[] = {"models/", "build/", "../models/", "../build/", "../share/fakeit/"};
    for (size_t i = 0; i < sizeof tries / sizeof *tries; i++) {
        snprintf(buf, n, "%s/%s%s", self, tries[i], name);
        if (access(buf, R_OK) == 0) return buf;
    }
    return NULL;
}

// ---------------------------------------------------------------------------
// one process per run folder

int fk_lock(const char *path, const char *subject, const char *what) {
    const int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        fk_error("%s: cannot create the lock: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        char holder[128] = "";
        const ssize_t got = pread(fd, holder, sizeof holder - 1, 0);
        holder[got > 0 ? got : 0] = 0;
        holder[strcspn(holder, "\n")] = 0;
        if (err == EWOULDBLOCK)
            fk_error("%s is in use by another fakeit process (%s, holding %s); wait for it to end, or write elsewhere",
                     subject, holder[0] ? holder : "it has not yet written its PID", path);
        else
            fk_error("%s: cannot lock: %s", path, strerror(err));
        close(fd);
        return -1;
    }
    char line[128];
    const int len = snprintf(line, sizeof line, "PID %ld, fakeit %s\n", (long)getpid(), what);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)len, 0) != len)
        fk_error("%s: cannot write the holder's PID (the lock holds all the same): %s", path, strerror(errno));
    return fd;
}

void fk_unlock(int fd) {
    if (fd >= 0) close(fd);  // closing the last descriptor releases the flock
}

// ---------------------------------------------------------------------------
// available memory

// The first number after `key` in the file, times `unit`; 0 when absent.
static double read_number(const char *file, const char *key, double unit) {
    FILE *f = fopen(file, "r");
    if (!f) return 0;
    char line[256];
    double v = 0;
    const size_t klen = key ? strlen(key) : 0;
    while (fgets(line, sizeof line, f))
        if (!key || strncmp(line, key, klen) == 0) {
            char *end;
            v = strtod(line + klen, &end);
            if (end == line + klen) v = 0;  // "max": no limit
            break;
        }
    fclose(f);
    return v * unit;
}

size_t fk_mem_available(void) {
    const char *force = getenv("FAKEIT_MEM_AVAILABLE");
    if (force && *force) return (size_t)strtod(force, NULL);
    double avail = read_number("/proc/meminfo", "MemAvailable:", 1024.0);
    // a cgroup's limit (v2, then v1) less what the group already uses
    double lim = read_number("/sys/fs/cgroup/memory.max", NULL, 1), used = read_number("/sys/fs/cgroup/memory.current", NULL, 1);
    if (lim <= 0) {
        lim = read_number("/sys/fs/cgroup/memory/memory.limit_in_bytes", NULL, 1);
        used = read_number("/sys/fs/cgroup/memory/memory.usage_in_bytes", NULL, 1);
    }
    if (lim > 0 && lim < 1e18 && lim - used < avail) avail = lim > used ? lim - used : 0;
    // an address-space or data limit, less what this process maps already
    struct rlimit rl;
    const double page = (double)sysconf(_SC_PAGESIZE), mapped = read_number("/proc/self/statm", NULL, page);
    const int res[2] = {RLIMIT_AS, RLIMIT_DATA};
    for (int i = 0; i < 2; i++)
        if (getrlimit(res[i], &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
            const double left = (double)rl.rlim_cur > mapped ? (double)rl.rlim_cur - mapped : 0;
            if (avail <= 0 || left < avail) avail = left;
        }
    return avail > 0 ? (size_t)avail : 0;
}

const char *fk_bytes_str(double b, char *out, size_t n) {
    if (b >= 1e9) snprintf(out, n, "%.1f GB", b / 1e9);
    else if (b >= 1e6) snprintf(out, n, "%.0f MB", b / 1e6);
    else snprintf(out, n, "%.0f KB", b / 1e3);
    return out;
}
