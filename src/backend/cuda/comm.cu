// comm.cu: sums over the processes of a data-parallel job on the device
// (NCCL), for the batch statistics and gradients a network shares
// (nn/net.c). dist_attach bootstraps it through MPI: rank 0 makes the
// identifier, MPI carries it to every rank, every rank joins. NCCL's ring and
// tree all-reduces give every rank the same bits, and the same bits run to
// run for the same ranks and devices. Without NCCL in the build (or when
// joining fails, as with two ranks on one GPU, which NCCL refuses) the sums
// go through host memory and MPI instead.
#include <string.h>

#include "backend/cuda/cuda.h"

#ifdef FAKEIT_HAVE_NCCL
#include <nccl.h>

static_assert(sizeof(ncclUniqueId) <= BACKEND_COMM_ID_BYTES, "NCCL's id does not fit Backend.comm_id");

static ncclComm_t comm;

const char *cu_comm_id(void *id) {
    cu_dnn();  // the device first
    const ncclResult_t r = ncclGetUniqueId((ncclUniqueId *)id);
    return r == ncclSuccess ? NULL : ncclGetErrorString(r);
}

const char *cu_comm_join(const void *id, int rank, int size) {
    cu_dnn();
    ncclUniqueId u;
    memcpy(&u, id, sizeof u);
    const ncclResult_t r = ncclCommInitRank(&comm, size, u, rank);
    if (r != ncclSuccess) {
        comm = NULL;
        return ncclGetErrorString(r);
    }
    return NULL;
}

void cu_comm_sum(void *p, size_t n, int dbl) {
    FK_CHECK(comm != NULL, "device sums before joining the job's communicator");
    const ncclResult_t r = ncclAllReduce(p, p, n, dbl ? ncclDouble : ncclFloat, ncclSum, comm, cu_stream);
    if (r != ncclSuccess) cu_fail("NCCL", ncclGetErrorString(r), "ncclAllReduce", __FILE__, __LINE__);
}
#endif
