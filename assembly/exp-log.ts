// exp, log and x^y of the kernels' own, in float64 and float32, scalar and SIMD (f64x2 / f32x4): range reduction
// and a polynomial, without branches or tables. native/exp-log.h is the same computation in C++ (the same
// operations in the same order, lane by lane), so both backends get the same bits; it documents the method, the
// accuracy (within 1 ulp: float64 ≤ 0.98 ulp, float32 ≤ 0.97 ulp) and the special values, and
// docs/algorithms.md §2 ("Powers") says where the kernels use them.
//
// The constants are those of native/exp-log.h, written as the decimal of their exact value (float32 constants:
// the float64 decimal of the float32 value, so the conversion is exact).

import { vadd, vdiv, vmul, vsplatValue, vsub } from './products';

// float64: the shifter 1.5·2^52, log2(e), ln 2 in two parts, exp's clamps, log's subnormal threshold and scale.
const SHIFTER64: f64 = 6755399441055744.0;
const LOG2E64: f64 = 1.4426950408889634;
const LN2_HI64: f64 = 0.6931471803691238;
const LN2_LO64: f64 = 1.9082149292705877e-10;
const HIGH64: f64 = 710.0;
const LOW64: f64 = -746.0;
const NORMAL64: f64 = 2.2250738585072014e-308;
const SUBNORMAL_SCALE64: f64 = 4503599627370496.0;
const SQRT_HALF64: u64 = 0x3fe6a09e00000000;
const ONE64: u64 = 0x3ff0000000000000;
const MANTISSA64: u64 = 0x000fffffffffffff;

// float32.
const SHIFTER32: f32 = 12582912.0;
const LOG2E32: f32 = <f32>1.4426950216293335;
const LN2_HI32: f32 = <f32>0.693145751953125;
const LN2_LO32: f32 = <f32>1.428606765330187e-6;
const HIGH32: f32 = 89.0;
const LOW32: f32 = -104.0;
const NORMAL32: f32 = <f32>1.1754943508222875e-38;
const SUBNORMAL_SCALE32: f32 = 8388608.0;
const SQRT_HALF32: u32 = 0x3f3504f3;
const ONE32: u32 = 0x3f800000;
const MANTISSA32: u32 = 0x007fffff;

// ---------------------------------------------------------------------------------------------------------------
// Scalar.

/** q(r) ≈ (e^r − 1 − r)/r² on |r| ≤ ln2/2 (Estrin's scheme; exp-log.h, expTail). */
// @ts-ignore: decorator
@inline
function expTail64(r: f64): f64 {
  const r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
  const p01 = 0.5 + 0.1666666666666667 * r;
  const p23 = 0.04166666666666667 + 0.008333333333326141 * r;
  const p45 = 0.0013888888888883752 + 0.00019841269874800493 * r;
  const p67 = 2.4801587325533363e-5 + 2.7557255425746435e-6 * r;
  const p89 = 2.7557273661348637e-7 + 2.510520637395701e-8 * r;
  const p03 = p01 + p23 * r2, p47 = p45 + p67 * r2, p810 = p89 + 2.0914679376583935e-9 * r2;
  return (p03 + p47 * r4) + p810 * r8;
}

// @ts-ignore: decorator
@inline
function expTail32(r: f32): f32 {
  const r2 = r * r, r4 = r2 * r2;
  const p01 = <f32>0.5 + <f32>0.1666666716337204 * r;
  const p23 = <f32>0.04166646674275398 + <f32>0.00833331048488617 * r;
  const p45 = <f32>0.0013933641603216529 + <f32>0.00019890980911441147 * r;
  return (p01 + p23 * r2) + p45 * r4;
}

/** t(z) ≈ (log((1 + s)/(1 − s)) − 2s)/s³, z = s² (Estrin's scheme; exp-log.h, logTail). */
// @ts-ignore: decorator
@inline
function logTail64(z: f64): f64 {
  const z2 = z * z, z4 = z2 * z2;
  const t01 = 0.666666666666667 + 0.39999999999899505 * z;
  const t23 = 0.28571428625975487 + 0.2222221113479508 * z;
  const t45 = 0.18182889125261723 + 0.15331721600556042 * z;
  return (t01 + t23 * z2) + (t45 + 0.14616449685043406 * z2) * z4;
}

// @ts-ignore: decorator
@inline
function logTail32(z: f32): f32 {
  const z2 = z * z;
  return (<f32>0.6666666865348816 + <f32>0.4000012278556824 * z) + (<f32>0.2855082154273987 + <f32>0.2333046793937683 * z) * z2;
}

/** 2^k for an integer-valued k with bias + k in [1, 2·bias]. */
// @ts-ignore: decorator
@inline
function twoTo64(k: f64): f64 {
  return reinterpret<f64>(reinterpret<u64>(k + (SHIFTER64 + 1023.0)) << 52);
}

// @ts-ignore: decorator
@inline
function twoTo32(k: f32): f32 {
  return reinterpret<f32>(reinterpret<u32>(k + (SHIFTER32 + <f32>127.0)) << 23);
}

function exp64(x: f64): f64 {
  x = x > HIGH64 ? HIGH64 : x;
  x = x < LOW64 ? LOW64 : x;
  const k = (x * LOG2E64 + SHIFTER64) - SHIFTER64;
  const r = (x - k * LN2_HI64) - k * LN2_LO64;
  const y = 1.0 + (r + (r * r) * expTail64(r));
  const k1 = (k * 0.5 + SHIFTER64) - SHIFTER64;
  return (y * twoTo64(k1)) * twoTo64(k - k1);
}

function exp32(x: f32): f32 {
  x = x > HIGH32 ? HIGH32 : x;
  x = x < LOW32 ? LOW32 : x;
  const k = (x * LOG2E32 + SHIFTER32) - SHIFTER32;
  const r = (x - k * LN2_HI32) - k * LN2_LO32;
  const y = <f32>1.0 + (r + (r * r) * expTail32(r));
  const k1 = (k * <f32>0.5 + SHIFTER32) - SHIFTER32;
  return (y * twoTo32(k1)) * twoTo32(k - k1);
}

function log64(x: f64): f64 {
  const subnormal = x < NORMAL64;
  const scaled = x * SUBNORMAL_SCALE64;
  const bits = reinterpret<u64>(subnormal ? scaled : x) + (ONE64 - SQRT_HALF64);
  const biased = reinterpret<f64>((bits >> 52) | reinterpret<u64>(SHIFTER64)) - SHIFTER64;
  const k = (biased - 1023.0) - (subnormal ? 52.0 : 0.0);
  const f = reinterpret<f64>((bits & MANTISSA64) + SQRT_HALF64) - 1.0;
  const hfsq = 0.5 * f * f;
  const s = f / (2.0 + f);
  const z = s * s;
  const R = z * logTail64(z);
  let result = k * LN2_HI64 - ((hfsq - (s * (hfsq + R) + k * LN2_LO64)) - f);
  result = x == Infinity ? x : result;
  result = x == 0 ? -Infinity : result;
  result = x < 0 ? NaN : result;
  return x != x ? x : result;
}

function log32(x: f32): f32 {
  const subnormal = x < NORMAL32;
  const scaled = x * SUBNORMAL_SCALE32;
  const bits = reinterpret<u32>(subnormal ? scaled : x) + (ONE32 - SQRT_HALF32);
  const biased = reinterpret<f32>((bits >> 23) | reinterpret<u32>(SHIFTER32)) - SHIFTER32;
  const k = (biased - <f32>127.0) - (subnormal ? <f32>23.0 : <f32>0.0);
  const f = reinterpret<f32>((bits & MANTISSA32) + SQRT_HALF32) - <f32>1.0;
  const hfsq = <f32>0.5 * f * f;
  const s = f / (<f32>2.0 + f);
  const z = s * s;
  const R = z * logTail32(z);
  let result = k * LN2_HI32 - ((hfsq - (s * (hfsq + R) + k * LN2_LO32)) - f);
  result = x == Infinity ? x : result;
  result = x == 0 ? <f32>-Infinity : result;
  result = x < 0 ? <f32>NaN : result;
  return x != x ? x : result;
}

/** e^x in T (exp-log.h, polyExp). */
// @ts-ignore: decorator
@inline
export function polyExp<T>(x: T): T {
  if (sizeof<T>() == 4) return <T>exp32(<f32>x);
  return <T>exp64(<f64>x);
}

/** log x in T (exp-log.h, polyLog). */
// @ts-ignore: decorator
@inline
export function polyLog<T>(x: T): T {
  if (sizeof<T>() == 4) return <T>log32(<f32>x);
  return <T>log64(<f64>x);
}

/** x^y = e^(y·log x) in T, for x ≥ 0 and y ≠ 0 (exp-log.h, polyPow). */
// @ts-ignore: decorator
@inline
export function polyPow<T>(x: T, y: T): T {
  return polyExp<T>(y * polyLog<T>(x));
}

// ---------------------------------------------------------------------------------------------------------------
// SIMD: the same operations on f64x2 / f32x4 lanes (T the lane type).

// @ts-ignore: decorator
@inline
function vhorner<T>(a: T, b: T, x: v128): v128 {
  // a + b·x
  return vadd<T>(vsplatValue<T>(a), vmul<T>(vsplatValue<T>(b), x));
}

// @ts-ignore: decorator
@inline
function vlt<T>(a: v128, b: v128): v128 {
  if (sizeof<T>() == 8) return f64x2.lt(a, b);
  return f32x4.lt(a, b);
}

// @ts-ignore: decorator
@inline
function veq<T>(a: v128, b: v128): v128 {
  if (sizeof<T>() == 8) return f64x2.eq(a, b);
  return f32x4.eq(a, b);
}

/** a > b ? b : a, lane by lane (a NaN lane stays NaN). */
// @ts-ignore: decorator
@inline
function vclampAbove<T>(a: v128, b: v128): v128 {
  if (sizeof<T>() == 8) return f64x2.pmin(a, b);
  return f32x4.pmin(a, b);
}

/** a < b ? b : a, lane by lane (a NaN lane stays NaN). */
// @ts-ignore: decorator
@inline
function vclampBelow<T>(a: v128, b: v128): v128 {
  if (sizeof<T>() == 8) return f64x2.pmax(a, b);
  return f32x4.pmax(a, b);
}

/** Round to an integer (ties to even): (x + shifter) − shifter. */
// @ts-ignore: decorator
@inline
function vround<T>(x: v128): v128 {
  const shifter = vsplatValue<T>(sizeof<T>() == 8 ? <T>SHIFTER64 : <T>SHIFTER32);
  return vsub<T>(vadd<T>(x, shifter), shifter);
}

// @ts-ignore: decorator
@inline
function vtwoTo<T>(k: v128): v128 {
  if (sizeof<T>() == 8) return i64x2.shl(vadd<T>(k, f64x2.splat(SHIFTER64 + 1023.0)), 52);
  return i32x4.shl(vadd<T>(k, f32x4.splat(SHIFTER32 + <f32>127.0)), 23);
}

// @ts-ignore: decorator
@inline
function vexpTail<T>(r: v128): v128 {
  if (sizeof<T>() == 8) {
    const r2 = vmul<T>(r, r), r4 = vmul<T>(r2, r2), r8 = vmul<T>(r4, r4);
    const p01 = vhorner<T>(<T>0.5, <T>0.1666666666666667, r);
    const p23 = vhorner<T>(<T>0.04166666666666667, <T>0.008333333333326141, r);
    const p45 = vhorner<T>(<T>0.0013888888888883752, <T>0.00019841269874800493, r);
    const p67 = vhorner<T>(<T>2.4801587325533363e-5, <T>2.7557255425746435e-6, r);
    const p89 = vhorner<T>(<T>2.7557273661348637e-7, <T>2.510520637395701e-8, r);
    const p03 = vadd<T>(p01, vmul<T>(p23, r2));
    const p47 = vadd<T>(p45, vmul<T>(p67, r2));
    const p810 = vadd<T>(p89, vmul<T>(vsplatValue<T>(<T>2.0914679376583935e-9), r2));
    return vadd<T>(vadd<T>(p03, vmul<T>(p47, r4)), vmul<T>(p810, r8));
  }
  const r2 = vmul<T>(r, r), r4 = vmul<T>(r2, r2);
  const p01 = vhorner<T>(<T>0.5, <T>0.1666666716337204, r);
  const p23 = vhorner<T>(<T>0.04166646674275398, <T>0.00833331048488617, r);
  const p45 = vhorner<T>(<T>0.0013933641603216529, <T>0.00019890980911441147, r);
  return vadd<T>(vadd<T>(p01, vmul<T>(p23, r2)), vmul<T>(p45, r4));
}

// @ts-ignore: decorator
@inline
function vlogTail<T>(z: v128): v128 {
  if (sizeof<T>() == 8) {
    const z2 = vmul<T>(z, z), z4 = vmul<T>(z2, z2);
    const t01 = vhorner<T>(<T>0.666666666666667, <T>0.39999999999899505, z);
    const t23 = vhorner<T>(<T>0.28571428625975487, <T>0.2222221113479508, z);
    const t45 = vhorner<T>(<T>0.18182889125261723, <T>0.15331721600556042, z);
    const t46 = vadd<T>(t45, vmul<T>(vsplatValue<T>(<T>0.14616449685043406), z2));
    return vadd<T>(vadd<T>(t01, vmul<T>(t23, z2)), vmul<T>(t46, z4));
  }
  const z2 = vmul<T>(z, z);
  const t01 = vhorner<T>(<T>0.6666666865348816, <T>0.4000012278556824, z);
  const t23 = vhorner<T>(<T>0.2855082154273987, <T>0.2333046793937683, z);
  return vadd<T>(t01, vmul<T>(t23, z2));
}

/** e^x lane by lane (exp). */
// @ts-ignore: decorator
@inline
export function vpolyExp<T>(x: v128): v128 {
  const f64 = sizeof<T>() == 8;
  x = vclampAbove<T>(x, vsplatValue<T>(f64 ? <T>HIGH64 : <T>HIGH32));
  x = vclampBelow<T>(x, vsplatValue<T>(f64 ? <T>LOW64 : <T>LOW32));
  const k = vround<T>(vmul<T>(x, vsplatValue<T>(f64 ? <T>LOG2E64 : <T>LOG2E32)));
  const hi = vsplatValue<T>(f64 ? <T>LN2_HI64 : <T>LN2_HI32), lo = vsplatValue<T>(f64 ? <T>LN2_LO64 : <T>LN2_LO32);
  const r = vsub<T>(vsub<T>(x, vmul<T>(k, hi)), vmul<T>(k, lo));
  const one = vsplatValue<T>(<T>1);
  const y = vadd<T>(one, vadd<T>(r, vmul<T>(vmul<T>(r, r), vexpTail<T>(r))));
  const k1 = vround<T>(vmul<T>(k, vsplatValue<T>(<T>0.5)));
  return vmul<T>(vmul<T>(y, vtwoTo<T>(k1)), vtwoTo<T>(vsub<T>(k, k1)));
}

/** log x lane by lane (log). */
// @ts-ignore: decorator
@inline
export function vpolyLog<T>(x: v128): v128 {
  const f64 = sizeof<T>() == 8;
  const subnormal = vlt<T>(x, vsplatValue<T>(f64 ? <T>NORMAL64 : <T>NORMAL32));
  const scaled = vmul<T>(x, vsplatValue<T>(f64 ? <T>SUBNORMAL_SCALE64 : <T>SUBNORMAL_SCALE32));
  const shifter = vsplatValue<T>(f64 ? <T>SHIFTER64 : <T>SHIFTER32);
  let biased: v128, f: v128;
  if (f64) {
    const bits = i64x2.add(v128.bitselect(scaled, x, subnormal), i64x2.splat(<i64>(ONE64 - SQRT_HALF64)));
    biased = vsub<T>(v128.or(i64x2.shr_u(bits, 52), shifter), shifter);
    f = i64x2.add(v128.and(bits, i64x2.splat(<i64>MANTISSA64)), i64x2.splat(<i64>SQRT_HALF64));
  } else {
    const bits = i32x4.add(v128.bitselect(scaled, x, subnormal), i32x4.splat(<i32>(ONE32 - SQRT_HALF32)));
    biased = vsub<T>(v128.or(i32x4.shr_u(bits, 23), shifter), shifter);
    f = i32x4.add(v128.and(bits, i32x4.splat(<i32>MANTISSA32)), i32x4.splat(<i32>SQRT_HALF32));
  }
  const zero = vsplatValue<T>(<T>0);
  const one = vsplatValue<T>(<T>1);
  const shift = v128.bitselect(vsplatValue<T>(f64 ? <T>52 : <T>23), zero, subnormal);
  const k = vsub<T>(vsub<T>(biased, vsplatValue<T>(f64 ? <T>1023 : <T>127)), shift);
  f = vsub<T>(f, one);
  const hfsq = vmul<T>(vmul<T>(vsplatValue<T>(<T>0.5), f), f);
  const s = vdiv<T>(f, vadd<T>(vsplatValue<T>(<T>2), f));
  const z = vmul<T>(s, s);
  const R = vmul<T>(z, vlogTail<T>(z));
  const hi = vsplatValue<T>(f64 ? <T>LN2_HI64 : <T>LN2_HI32), lo = vsplatValue<T>(f64 ? <T>LN2_LO64 : <T>LN2_LO32);
  // k·hi − ((hfsq − (s·(hfsq + R) + k·lo)) − f)
  const inner = vadd<T>(vmul<T>(s, vadd<T>(hfsq, R)), vmul<T>(k, lo));
  let result = vsub<T>(vmul<T>(k, hi), vsub<T>(vsub<T>(hfsq, inner), f));
  const inf = vsplatValue<T>(<T>Infinity);
  result = v128.bitselect(x, result, veq<T>(x, inf));
  result = v128.bitselect(vsplatValue<T>(<T>-Infinity), result, veq<T>(x, zero));
  result = v128.bitselect(vsplatValue<T>(<T>NaN), result, vlt<T>(x, zero));
  return v128.bitselect(x, result, v128.not(veq<T>(x, x)));
}

/** x^y lane by lane (pow), y the same in every lane. */
// @ts-ignore: decorator
@inline
export function vpolyPow<T>(x: v128, y: v128): v128 {
  return vpolyExp<T>(vmul<T>(y, vpolyLog<T>(x)));
}
