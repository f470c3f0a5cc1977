// im2col and col2im for 1-3 spatial dimensions, used with a cuBLAS GEMM (cupy.matmul) by
// gkeras/backend/cupy_backend.py for convolutions and their two gradients.
//
// Compiled once per element type by NVRTC (cupy.RawModule) with -DGKERAS_REAL=float|double.
// 1D and 2D problems are 3D problems with leading singleton axes (size 1, kernel 1, stride 1).
// x may have any strides (channels_first or channels_last, views); they are passed in elements.
// cols is contiguous (groups, N, out_d, out_h, out_w, k_d, k_h, k_w, channels / groups): one
// row per output position, in the order of the Keras kernel (*kernel_size, C / groups, K).

#ifndef GKERAS_REAL
#define GKERAS_REAL float
#endif
typedef GKERAS_REAL real;

// One thread per element of cols (grid-stride loop); reads outside the input are padding (0).
extern "C" __global__ void im2col(
    const real* __restrict__ x, real* __restrict__ cols,
    int batch, int group_channels,
    int in_d, int in_h, int in_w,
    int out_d, int out_h, int out_w,
    int k_d, int k_h, int k_w,
    int stride_d, int stride_h, int stride_w,
    int dil_d, int dil_h, int dil_w,
    int pad_d, int pad_h, int pad_w,
    long long xs_n, long long xs_c, long long xs_d, long long xs_h, long long xs_w,
    long long total)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (long long)blockDim.x * gridDim.x) {
        long long r = i;
        const int cg = (int)(r % group_channels); r /= group_channels;
        const int kw = (int)(r % k_w); r /= k_w;
        const int kh = (int)(r % k_h); r /= k_h;
        const int kd = (int)(r % k_d); r /= k_d;
        const int ow = (int)(r % out_w); r /= out_w;
        const int oh = (int)(r % out_h); r /= out_h;
        const int od = (int)(r % out_d); r /= out_d;
        const int n = (int)(r % batch);
        const int g = (int)(r / batch);
        const int id = od * stride_d - pad_d + kd * dil_d;
        const int ih = oh * stride_h - pad_h + kh * dil_h;
        const int iw = ow * stride_w - pad_w + kw * dil_w;
        real value = 0;
        if (id >= 0 && id < in_d && ih >= 0 && ih < in_h && iw >= 0 && iw < in_w) {
            const long long c = (long long)g * group_channels + cg;
            value = x[n * xs_n + c * xs_c + id * xs_d + ih * xs_h + iw * xs_w];
        }
        cols[i] = value;
    }
}

// The adjoint of im2col: one thread per input element sums every cols entry that read it
// (a gather, so no atomics and a deterministic result). dx is contiguous, channels last
// (N, D, H, W, C) when channels_last is 1, else (N, C, D, H, W).
extern "C" __global__ void col2im(
    const real* __restrict__ cols, real* __restrict__ dx,
    int batch, int channels, int group_channels,
    int in_d, int in_h, int in_w,
    int out_d, int out_h, int out_w,
    int k_d, int k_h, int k_w,
    int stride_d, int stride_h, int stride_w,
    int dil_d, int dil_h, int dil_w,
    int pad_d, int pad_h, int pad_w,
    int channels_last, long long total)
{
    const long long row_width = (long long)k_d * k_h * k_w * group_channels;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (long long)blockDim.x * gridDim.x) {
        long long r = i;
        int c, id, ih, iw;
        if (channels_last) {
            c = (int)(r % channels); r /= channels;
            iw = (int)(r % in_w); r /= in_w;
            ih = (int)(r % in_h); r /= in_h;
            id = (int)(r % in_d); r /= in_d;
        } else {
            iw = (int)(r % in_w); r /= in_w;
            ih = (int)(r % in_h); r /= in_h;
            id = (int)(r % in_d); r /= in_d;
            c = (int)(r % channels); r /= channels;
        }
        const int n = (int)r;
        const int g = c / group_channels;
        const int cg = c % group_channels;
        real sum = 0;
        for (int kd = 0; kd < k_d; ++kd) {
            const int td = id + pad_d - kd * dil_d;
            if (td < 0 || td % stride_d) continue;
            const int od = td / stride_d;
            if (od >= out_d) continue;
            for (int kh = 0; kh < k_h; ++kh) {
                const int th = ih + pad_h - kh * dil_h;
                if (th < 0 || th % stride_h) continue;
                const int oh = th / stride_h;
                if (oh >= out_h) continue;
                for (int kw = 0; kw < k_w; ++kw) {
                    const int tw = iw + pad_w - kw * dil_w;
                    if (tw < 0 || tw % stride_w) continue;
                    const int ow = tw / stride_w;
                    if (ow >= out_w) continue;
                    const long long row =
                        (((((long long)g * batch + n) * out_d + od) * out_h + oh) * out_w + ow);
                    const long long col = (((long long)kd * k_h + kh) * k_w + kw)
                                          * group_channels + cg;
                    sum += cols[row * row_width + col];
                }
            }
        }
        dx[i] = sum;
    }
}
