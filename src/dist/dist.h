// dist.h: one of N processes started by mpirun (OpenMPI), or alone.
//
// fakeit is built with MPI where `mpicc` is found (Makefile MPI=1|0).
// fk_main calls dist_init once: under mpirun it joins the job (MPI_Init),
// alone it is rank 0 of 1 and every call below is a no-op. Collective calls
// must be made by every rank in the same order.
#ifndef FAKEIT_DIST_H
#define FAKEIT_DIST_H

#include <stddef.h>

// 0, or -1 after printing (launched by mpirun with several processes but
// built without MPI).
int dist_init(void);
void dist_finalize(void);
int dist_rank(void);
int dist_size(void);
// 1 on rank 0 (the one that prints and writes what only one should).
static inline int dist_lead(void) { return dist_rank() == 0; }
// In-place sums over the ranks (all-reduce); every rank gets the result.
void dist_sum_f32(float *v, size_t n);
void dist_sum_f64(double *v, size_t n);
// The largest of every rank's v; dist_max_ints: element by element, in place.
int dist_max_int(int v);
void dist_max_ints(int *v, int n);
// The sums (all-reduces) of this process so far: how many, their bytes, and
// the seconds spent in them (waiting for the slowest process included).
typedef struct {
    long calls;
    double bytes, seconds;
} DistTally;
void dist_tally(DistTally *t);
// Counts a sum made elsewhere (on a device) into the tally.
void dist_count(size_t bytes, double seconds);

struct Backend;
// Data-parallel training on `be` (every rank calls it, after agreeing on the
// backend): when `be` sums on its devices (Backend.comm_*, NCCL), rank 0
// makes the identifier, MPI carries it to every rank, and every rank joins.
// Returns 1 when every rank joined, else 0: the sums go through host memory
// and MPI (rank 0 says why, unless the backend has no device sums at all).
int dist_attach(const struct Backend *be);
// 1 when `be` sums over the job on its devices (a dist_attach that joined).
int dist_device_sums(const struct Backend *be);
// What carries the sums of data-parallel training on `be`, for headers.
const char *dist_sums_name(const struct Backend *be);

// The job's processes on this host (1 alone); the first call is collective
// (fk_main makes it through dist_threads_share).
int dist_local_size(void);
// Threads for each process of this job on this host by default: the cores
// it is bound to (mpirun's binding), else this host's cores shared out among
// the job's processes on it; 0 when alone (keep the usual default).
int dist_threads_share(void);

#endif
