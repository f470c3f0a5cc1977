// Max and average pooling over 1-3 spatial dimensions, forward and backward, used by
// gkeras/backend/cupy_backend.py.
//
// Compiled once per element type by NVRTC (cupy.RawModule) with -DGKERAS_REAL=float|double.
// 1D and 2D problems are 3D problems with leading singleton axes. x may have any strides
// (passed in elements); y, dy and dx are contiguous in the data layout: (N, D, H, W, C) when
// channels_last is 1, else (N, C, D, H, W). Windows have no dilation; padding positions are
// skipped, so 'same' max pooling ignores them and 'same' average pooling divides by the
// number of real elements in each window, as TensorFlow does.

#ifndef GKERAS_REAL
#define GKERAS_REAL float
#endif
typedef GKERAS_REAL real;

__device__ __forceinline__ long long layout_index(int n, int c, int d, int h, int w,
                                                  int channels, int size_d, int size_h,
                                                  int size_w, int channels_last)
{
    if (channels_last)
        return ((((long long)n * size_d + d) * size_h + h) * size_w + w) * channels + c;
    return ((((long long)n * channels + c) * size_d + d) * size_h + h) * size_w + w;
}

__device__ __forceinline__ void split_index(long long r, int channels, int size_d, int size_h,
                                            int size_w, int channels_last, int* n, int* c,
                                            int* d, int* h, int* w)
{
    if (channels_last) {
        *c = (int)(r % channels); r /= channels;
        *w = (int)(r % size_w); r /= size_w;
        *h = (int)(r % size_h); r /= size_h;
        *d = (int)(r % size_d); r /= size_d;
    } else {
        *w = (int)(r % size_w); r /= size_w;
        *h = (int)(r % size_h); r /= size_h;
        *d = (int)(r % size_d); r /= size_d;
        *c = (int)(r % channels); r /= channels;
    }
    *n = (int)r;
}

// Real (unpadded) elements a window starting at `start` covers along one axis.
__device__ __forceinline__ int window_count(int start, int size, int length)
{
    const int end = start + size < length ? start + size : length;
    return end - (start > 0 ? start : 0);
}

// One thread per output element. Max: argmax receives the tap (window position in kernel
// order) of the first maximum, which is where the backward pass sends the gradient; average
// pooling leaves argmax alone.
extern "C" __global__ void pool_forward(
    const real* __restrict__ x, real* __restrict__ y, int* __restrict__ argmax,
    int is_max, int channels,
    int in_d, int in_h, int in_w,
    int out_d, int out_h, int out_w,
    int k_d, int k_h, int k_w,
    int stride_d, int stride_h, int stride_w,
    int pad_d, int pad_h, int pad_w,
    long long xs_n, long long xs_c, long long xs_d, long long xs_h, long long xs_w,
    int channels_last, long long total)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (long long)blockDim.x * gridDim.x) {
        int n, c, od, oh, ow;
        split_index(i, channels, out_d, out_h, out_w, channels_last, &n, &c, &od, &oh, &ow);
        const int start_d = od * stride_d - pad_d;
        const int start_h = oh * stride_h - pad_h;
        const int start_w = ow * stride_w - pad_w;
        const real* base = x + n * xs_n + c * xs_c;
        real best = 0;
        real sum = 0;
        int best_tap = -1;
        for (int kd = 0; kd < k_d; ++kd) {
            const int id = start_d + kd;
            if (id < 0 || id >= in_d) continue;
            for (int kh = 0; kh < k_h; ++kh) {
                const int ih = start_h + kh;
                if (ih < 0 || ih >= in_h) continue;
                for (int kw = 0; kw < k_w; ++kw) {
                    const int iw = start_w + kw;
                    if (iw < 0 || iw >= in_w) continue;
                    const real value = base[id * xs_d + ih * xs_h + iw * xs_w];
                    if (is_max) {
                        if (best_tap < 0 || value > best) {
                            best = value;
                            best_tap = (kd * k_h + kh) * k_w + kw;
                        }
                    } else {
                        sum += value;
                    }
                }
            }
        }
        if (is_max) {
            y[i] = best;
            argmax[i] = best_tap;
        } else {
            const int count = window_count(start_d, k_d, in_d) * window_count(start_h, k_h, in_h)
                              * window_count(start_w, k_w, in_w);
            y[i] = sum / (real)count;
        }
    }
}

// One thread per input element gathers the gradient of every window that contains it (no
// atomics, deterministic). Max: only windows whose first maximum is this element contribute.
extern "C" __global__ void pool_backward(
    const real* __restrict__ dy, const int* __restrict__ argmax, real* __restrict__ dx,
    int is_max, int channels,
    int in_d, int in_h, int in_w,
    int out_d, int out_h, int out_w,
    int k_d, int k_h, int k_w,
    int stride_d, int stride_h, int stride_w,
    int pad_d, int pad_h, int pad_w,
    int channels_last, long long total)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (long long)blockDim.x * gridDim.x) {
        int n, c, id, ih, iw;
        split_index(i, channels, in_d, in_h, in_w, channels_last, &n, &c, &id, &ih, &iw);
        // windows o with o * stride - pad <= position < o * stride - pad + k
        const int low_d = id + pad_d - k_d + 1, low_h = ih + pad_h - k_h + 1,
                  low_w = iw + pad_w - k_w + 1;
        const int first_d = low_d <= 0 ? 0 : (low_d + stride_d - 1) / stride_d;
        const int first_h = low_h <= 0 ? 0 : (low_h + stride_h - 1) / stride_h;
        const int first_w = low_w <= 0 ? 0 : (low_w + stride_w - 1) / stride_w;
        int last_d = (id + pad_d) / stride_d, last_h = (ih + pad_h) / stride_h,
            last_w = (iw + pad_w) / stride_w;
        if (last_d > out_d - 1) last_d = out_d - 1;
        if (last_h > out_h - 1) last_h = out_h - 1;
        if (last_w > out_w - 1) last_w = out_w - 1;
        real sum = 0;
        for (int od = first_d; od <= last_d; ++od) {
            const int start_d = od * stride_d - pad_d;
            for (int oh = first_h; oh <= last_h; ++oh) {
                const int start_h = oh * stride_h - pad_h;
                for (int ow = first_w; ow <= last_w; ++ow) {
                    const int start_w = ow * stride_w - pad_w;
                    const long long o = layout_index(n, c, od, oh, ow, channels, out_d, out_h,
                                                     out_w, channels_last);
                    if (is_max) {
                        const int tap = ((id - start_d) * k_h + (ih - start_h)) * k_w
                                        + (iw - start_w);
                        if (argmax[o] == tap) sum += dy[o];
                    } else {
                        const int count = window_count(start_d, k_d, in_d)
                                          * window_count(start_h, k_h, in_h)
                                          * window_count(start_w, k_w, in_w);
                        sum += dy[o] / (real)count;
                    }
                }
            }
        }
        dx[i] = sum;
    }
}
