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
// Threads for each process of this job on this host by default: the cores
// it is bound to (mpirun's binding), else this host's cores shared out among
// the job's processes on it; 0 when alone (keep the usual default).
int dist_threads_share(void);

#endif
