// dist.c: MPI, when the build has it (FAKEIT_HAVE_MPI) and mpirun started us.
#define _GNU_SOURCE  // sched_getaffinity, CPU_COUNT
#include "dist/dist.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "backend/backend.h"
#include "util/util.h"

#ifdef FAKEIT_HAVE_MPI
#include <mpi.h>
#endif

static int rank = 0, size = 1, joined = 0;

// The number of processes mpirun started (OpenMPI's or PMIx's variables), 1 when none.
static int launched_size(void) {
    const char *v = getenv("OMPI_COMM_WORLD_SIZE");
    if (!v) v = getenv("PMIX_SIZE");
    return v && atoi(v) > 1 ? atoi(v) : 1;
}

int dist_init(void) {
    if (launched_size() <= 1) return 0;
#ifdef FAKEIT_HAVE_MPI
    int ok = 0;
    MPI_Initialized(&ok);
    if (!ok && MPI_Init(NULL, NULL) != MPI_SUCCESS) {
        fk_error("cannot join the MPI job (MPI_Init failed)");
        return -1;
    }
    joined = !ok;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    return 0;
#else
    fk_error("started by mpirun with %d processes, but this fakeit was built without MPI: install libopenmpi-dev "
             "(scripts/install-deps.sh test) and rebuild, or run one process",
             launched_size());
    return -1;
#endif
}

void dist_finalize(void) {
#ifdef FAKEIT_HAVE_MPI
    if (joined) MPI_Finalize();
#endif
    joined = 0, rank = 0, size = 1;
}

int dist_rank(void) { return rank; }
int dist_size(void) { return size; }

static DistTally tally;  // the sums so far (dist_tally)

void dist_tally(DistTally *t) { *t = tally; }

#ifdef FAKEIT_HAVE_MPI
// In-place sum of n values of `elem` bytes; MPI counts are ints: large arrays go in pieces.
static void sum_in_place(void *v, size_t n, size_t elem, MPI_Datatype type) {
    enum { CHUNK = 1 << 28 };
    if (size <= 1) return;
    const double t0 = MPI_Wtime();
    for (size_t i = 0; i < n; i += CHUNK)
        MPI_Allreduce(MPI_IN_PLACE, (char *)v + i * elem, (int)(n - i < CHUNK ? n - i : CHUNK), type, MPI_SUM,
                      MPI_COMM_WORLD);
    tally.calls++, tally.bytes += (double)n * elem, tally.seconds += MPI_Wtime() - t0;
}
#endif

void dist_count(size_t bytes, double seconds) { tally.calls++, tally.bytes += (double)bytes, tally.seconds += seconds; }

void dist_sum_f32(float *v, size_t n) {
    (void)v, (void)n;
#ifdef FAKEIT_HAVE_MPI
    sum_in_place(v, n, sizeof *v, MPI_FLOAT);
#endif
}

void dist_sum_f64(double *v, size_t n) {
    (void)v, (void)n;
#ifdef FAKEIT_HAVE_MPI
    sum_in_place(v, n, sizeof *v, MPI_DOUBLE);
#endif
}

void dist_max_ints(int *v, int n) {
    (void)v, (void)n;
#ifdef FAKEIT_HAVE_MPI
    if (size > 1) MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
#endif
}

int dist_max_int(int v) {
    dist_max_ints(&v, 1);
    return v;
}

int dist_local_size(void) {
    static int local;  // asked once (a collective call)
    if (local) return local;
    local = 1;
#ifdef FAKEIT_HAVE_MPI
    MPI_Comm node;  // the job's processes on this host
    if (size > 1 && MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
        MPI_Comm_size(node, &local);
        MPI_Comm_free(&node);
    }
#endif
    return local;
}

int dist_threads_share(void) {
    if (size <= 1) return 0;
    const int local = dist_local_size();
    cpu_set_t set;
    const long online = sysconf(_SC_NPROCESSORS_ONLN);
    const int bound = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : (int)online;
    const int share = bound < online ? bound : (int)(online / (local > 0 ? local : 1));
    return share > 0 ? share : 1;
}

// ---------------------------------------------------------------------------
// sums on the devices (NCCL), bootstrapped through MPI

static const Backend *device_sums;  // the backend that joined, NULL when none

int dist_attach(const Backend *be) {
    if (size <= 1 || !be->comm_join) return 0;
    if (device_sums == be) return 1;
    char id[BACKEND_COMM_ID_BYTES] = {0};
    const char *why = rank == 0 ? be->comm_id(id) : NULL;
    int failed = dist_max_int(why != NULL);
#ifdef FAKEIT_HAVE_MPI
    if (!failed) MPI_Bcast(id, (int)sizeof id, MPI_BYTE, 0, MPI_COMM_WORLD);
#endif
    if (!failed) why = be->comm_join(id, rank, size);
    failed = dist_max_int(why != NULL);
    if (failed && rank == 0)
        printf("fakeit: the %s backend cannot sum on the devices (%s): the sums go through host memory and MPI\n",
               be->name, why ? why : "another process could not join");
    if (!failed) device_sums = be;
    return !failed;
}

int dist_device_sums(const Backend *be) { return be && be == device_sums; }

const char *dist_sums_name(const Backend *be) {
    return dist_device_sums(be) ? "on the GPUs (NCCL)" : be->host_memory ? "MPI" : "MPI through host memory";
}
