// Fused LSTM and GRU cell kernels, used by gkeras/backend/recurrent_ops.py (CudaCells).
// One thread per (sample, unit); the recurrent matmuls run outside, as GEMMs. They compute
// exactly what recurrent_ops.XpCells computes on the NumPy path. Every array is contiguous.
//
// Compiled once per element type by NVRTC (cupy.RawModule) with -DGKERAS_REAL=float|double.
//
// Activation codes (recurrent_ops.FUSED_ACTIVATIONS): 0 linear, 1 tanh, 2 sigmoid,
// 3 hard_sigmoid (clip(0.2 a + 0.5, 0, 1)), 4 relu. Gradients follow TensorFlow: the hard sigmoid
// passes its slope at the clip bounds, relu has slope 0 at 0.
// mask (one byte per sample) is read only when has_mask != 0; a masked sample keeps its state.

#ifndef GKERAS_REAL
#define GKERAS_REAL float
#endif
typedef GKERAS_REAL real;

__device__ __forceinline__ float dev_exp(float a) { return expf(a); }
__device__ __forceinline__ double dev_exp(double a) { return exp(a); }
__device__ __forceinline__ float dev_tanh(float a) { return tanhf(a); }
__device__ __forceinline__ double dev_tanh(double a) { return tanh(a); }

template <typename T>
__device__ __forceinline__ T activate(int code, T a) {
    switch (code) {
        case 1: return dev_tanh(a);
        case 2: {
            T e = dev_exp(a < T(0) ? a : -a);  // exp(-|a|): never overflows
            return a >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
        }
        case 3: {
            T y = a * T(0.2) + T(0.5);
            return y < T(0) ? T(0) : (y > T(1) ? T(1) : y);
        }
        case 4: return a > T(0) ? a : T(0);
        default: return a;
    }
}

// d activation / d a, given the pre-activation a and the output y
template <typename T>
__device__ __forceinline__ T slope(int code, T a, T y) {
    switch (code) {
        case 1: return T(1) - y * y;
        case 2: return y * (T(1) - y);
        case 3: {
            T linear = a * T(0.2) + T(0.5);
            return (linear >= T(0) && linear <= T(1)) ? T(0.2) : T(0);
        }
        case 4: return a > T(0) ? T(1) : T(0);
        default: return T(1);
    }
}

// z: (batch, 4u) pre-activations, gates i, f, c, o. state, new_state: (batch, 2u) = [h | c].
template <typename T>
__device__ void lstm_forward_impl(const T* z, const T* state, const unsigned char* mask,
                                  T* new_state, int batch, int units, int act, int ract,
                                  int has_mask) {
    long long n = (long long)batch * units;
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < n;
         idx += (long long)blockDim.x * gridDim.x) {
        long long b = idx / units;
        long long j = idx - b * units;
        const T* zb = z + b * 4 * units;
        const T* sb = state + b * 2 * units;
        T* ob = new_state + b * 2 * units;
        if (has_mask && !mask[b]) {
            ob[j] = sb[j];
            ob[units + j] = sb[units + j];
            continue;
        }
        T i = activate(ract, zb[j]);
        T f = activate(ract, zb[units + j]);
        T g = activate(act, zb[2 * units + j]);
        T o = activate(ract, zb[3 * units + j]);
        T c = f * sb[units + j] + i * g;
        ob[j] = o * activate(act, c);
        ob[units + j] = c;
    }
}

// d_state: gradient of new_state. dz: (batch, 4u). d_prev: gradient of state, without the
// recurrent matmul's share (dz @ U^T), which the caller adds to its h half.
template <typename T>
__device__ void lstm_backward_impl(const T* z, const T* state, const unsigned char* mask,
                                   const T* d_state, T* dz, T* d_prev, int batch, int units,
                                   int act, int ract, int has_mask) {
    long long n = (long long)batch * units;
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < n;
         idx += (long long)blockDim.x * gridDim.x) {
        long long b = idx / units;
        long long j = idx - b * units;
        const T* zb = z + b * 4 * units;
        const T* sb = state + b * 2 * units;
        const T* db = d_state + b * 2 * units;
        T* dzb = dz + b * 4 * units;
        T* dpb = d_prev + b * 2 * units;
        if (has_mask && !mask[b]) {
            dzb[j] = T(0);
            dzb[units + j] = T(0);
            dzb[2 * units + j] = T(0);
            dzb[3 * units + j] = T(0);
            dpb[j] = db[j];
            dpb[units + j] = db[units + j];
            continue;
        }
        T zi = zb[j], zf = zb[units + j], zg = zb[2 * units + j], zo = zb[3 * units + j];
        T i = activate(ract, zi);
        T f = activate(ract, zf);
        T g = activate(act, zg);
        T o = activate(ract, zo);
        T c_prev = sb[units + j];
        T c = f * c_prev + i * g;
        T tc = activate(act, c);
        T dh = db[j];
        T dc = db[units + j] + dh * o * slope(act, c, tc);
        dzb[j] = dc * g * slope(ract, zi, i);
        dzb[units + j] = dc * c_prev * slope(ract, zf, f);
        dzb[2 * units + j] = dc * i * slope(act, zg, g);
        dzb[3 * units + j] = dh * tc * slope(ract, zo, o);
        dpb[j] = T(0);
        dpb[units + j] = dc * f;
    }
}

// x, rec: (batch, 3u) input and recurrent projections (gates z, r, h). With reset_after the last
// third of rec is h_prev @ U_h + b_h and the reset gate scales it; otherwise it is
// (r * h_prev) @ U_h, already reset.
template <typename T>
__device__ void gru_forward_impl(const T* x, const T* rec, const T* h_prev,
                                 const unsigned char* mask, T* h, int batch, int units,
                                 int reset_after, int act, int ract, int has_mask) {
    long long n = (long long)batch * units;
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < n;
         idx += (long long)blockDim.x * gridDim.x) {
        long long b = idx / units;
        long long j = idx - b * units;
        if (has_mask && !mask[b]) {
            h[idx] = h_prev[idx];
            continue;
        }
        const T* xb = x + b * 3 * units;
        const T* rb = rec + b * 3 * units;
        T zg = activate(ract, xb[j] + rb[j]);
        T a;
        if (reset_after) {
            T r = activate(ract, xb[units + j] + rb[units + j]);
            a = xb[2 * units + j] + r * rb[2 * units + j];
        } else {
            a = xb[2 * units + j] + rb[2 * units + j];
        }
        T candidate = activate(act, a);
        h[idx] = zg * h_prev[idx] + (T(1) - zg) * candidate;
    }
}

// dx: gradient of x; drec: gradient of rec; dh_prev without the recurrent matmuls' share.
// Without reset_after the reset-gate columns are written as zero (the caller fills them after the
// candidate's matmul).
template <typename T>
__device__ void gru_backward_impl(const T* x, const T* rec, const T* h_prev,
                                  const unsigned char* mask, const T* dh, T* dx, T* drec,
                                  T* dh_prev, int batch, int units, int reset_after, int act,
                                  int ract, int has_mask) {
    long long n = (long long)batch * units;
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < n;
         idx += (long long)blockDim.x * gridDim.x) {
        long long b = idx / units;
        long long j = idx - b * units;
        const T* xb = x + b * 3 * units;
        const T* rb = rec + b * 3 * units;
        T* dxb = dx + b * 3 * units;
        T* drb = drec + b * 3 * units;
        if (has_mask && !mask[b]) {
            dxb[j] = dxb[units + j] = dxb[2 * units + j] = T(0);
            drb[j] = drb[units + j] = drb[2 * units + j] = T(0);
            dh_prev[idx] = dh[idx];
            continue;
        }
        T z_pre = xb[j] + rb[j];
        T zg = activate(ract, z_pre);
        T r = T(1), r_pre = T(0), a;
        if (reset_after) {
            r_pre = xb[units + j] + rb[units + j];
            r = activate(ract, r_pre);
            a = xb[2 * units + j] + r * rb[2 * units + j];
        } else {
            a = xb[2 * units + j] + rb[2 * units + j];
        }
        T candidate = activate(act, a);
        T d = dh[idx];
        T dz_pre = d * (h_prev[idx] - candidate) * slope(ract, z_pre, zg);
        T da = d * (T(1) - zg) * slope(act, a, candidate);
        dh_prev[idx] = d * zg;
        dxb[j] = drb[j] = dz_pre;
        dxb[2 * units + j] = da;
        if (reset_after) {
            T dr_pre = da * rb[2 * units + j] * slope(ract, r_pre, r);
            dxb[units + j] = drb[units + j] = dr_pre;
            drb[2 * units + j] = da * r;
        } else {
            dxb[units + j] = drb[units + j] = T(0);
            drb[2 * units + j] = da;
        }
    }
}

extern "C" __global__ void lstm_forward(const real* z, const real* state,
                                        const unsigned char* mask, real* new_state, int batch,
                                        int units, int act, int ract, int has_mask)
{
    lstm_forward_impl<real>(z, state, mask, new_state, batch, units, act, ract, has_mask);
}

extern "C" __global__ void lstm_backward(const real* z, const real* state,
                                         const unsigned char* mask, const real* d_state,
                                         real* dz, real* d_prev, int batch, int units, int act,
                                         int ract, int has_mask)
{
    lstm_backward_impl<real>(z, state, mask, d_state, dz, d_prev, batch, units, act, ract,
                             has_mask);
}

extern "C" __global__ void gru_forward(const real* x, const real* rec, const real* h_prev,
                                       const unsigned char* mask, real* h, int batch, int units,
                                       int reset_after, int act, int ract, int has_mask)
{
    gru_forward_impl<real>(x, rec, h_prev, mask, h, batch, units, reset_after, act, ract,
                           has_mask);
}

extern "C" __global__ void gru_backward(const real* x, const real* rec, const real* h_prev,
                                        const unsigned char* mask, const real* dh, real* dx,
                                        real* drec, real* dh_prev, int batch, int units,
                                        int reset_after, int act, int ract, int has_mask)
{
    gru_backward_impl<real>(x, rec, h_prev, mask, dh, dx, drec, dh_prev, batch, units,
                            reset_after, act, ract, has_mask);
}
