/// The search tables ggml's `ggml_quantize_init` derives for the IQ1/IQ2/IQ3 quantizers
/// (`iq2xs_init_impl`, `iq3xs_init_impl`), built once on first use.
///
/// A lattice point is `dims` coordinates, each `2l + 1` for a level `l`; a candidate point is keyed
/// by its levels packed `bits` apart (`key = sum l_k << (bits * k)`). `map[key]` is the point's index
/// when the candidate lies on the lattice, else `-(offset + 1)` where `neighbours[offset]` is a count
/// n followed by the n lattice indices nearest to the candidate: every point within the `nwant`
/// smallest squared distances, in order of (distance, index) as ggml's `qsort` leaves them.
///
/// The level codes ggml keeps in its private `kgrid_*` tables are recovered from the public grids
/// (`iq2xxs_grid` etc.): the two agree entry for entry (checked against llama.cpp's source when
/// this file was written, and by the byte-exact fixture tests).
final class Lattice: Sendable {
    /// Coordinates per point (8 for IQ1/IQ2, 4 for IQ3).
    let dims: Int
    /// `points[dims * j + k]` = coordinate k of lattice point j (`2l + 1`).
    let points: [Int8]
    let map: [Int32]
    let neighbours: [UInt16]

    /// `levels(j, k)` is level l of coordinate k of point j; `count` points; keys `bits` apart
    /// below `mapSize`.
    init(count: Int, dims: Int, bits: Int, mapSize: Int, nwant: Int, levels: (Int, Int) -> Int) {
        self.dims = dims
        var points = [Int8](repeating: 0, count: count * dims)
        var map = [Int32](repeating: -1, count: mapSize)
        for j in 0..<count {
            var key = 0
            for k in 0..<dims {
                let l = levels(j, k)
                points[dims * j + k] = Int8(2 * l + 1)
                key |= l << (bits * k)
            }
            map[key] = Int32(j)
        }
        var neighbours: [UInt16] = []
        let mask = (1 << bits) - 1
        let maxD2 = dims * (2 * mask) * (2 * mask)
        var d2 = [Int](repeating: 0, count: count)
        var perDistance = [Int](repeating: 0, count: maxD2 + 1)
        for key in 0..<mapSize where map[key] < 0 {
            for t in 0...maxD2 { perDistance[t] = 0 }
            for j in 0..<count {
                var s = 0
                for k in 0..<dims {
                    let diff = Int(points[dims * j + k]) - (2 * ((key >> (bits * k)) & mask) + 1)
                    s += diff * diff
                }
                d2[j] = s
                perDistance[s] += 1
            }
            // The nwant smallest distances present, then their points by (distance, index).
            var cutoff = -1, have = 0
            for t in 0...maxD2 where perDistance[t] > 0 {
                cutoff = t; have += 1
                if have == nwant { break }
            }
            map[key] = -Int32(neighbours.count + 1)
            let start = neighbours.count
            neighbours.append(0)
            for t in 0...cutoff where perDistance[t] > 0 {
                for j in 0..<count where d2[j] == t { neighbours.append(UInt16(j)) }
            }
            neighbours[start] = UInt16(neighbours.count - start - 1)
        }
        self.points = points
        self.map = map
        self.neighbours = neighbours
    }

    /// ggml's `iq2_find_best_neighbour` / `iq3_find_best_neighbour`: among the neighbours listed at
    /// `-(map[key] + 1)`, the point minimising sum weight*(scale*q - x)^2 (first on ties); writes
    /// its levels to `L` and returns its index. When no distance is finite (non-finite input, where
    /// ggml aborts) the first neighbour is taken.
    @inline(__always)
    func bestNeighbour(key: Int, _ xval: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, scale: Float,
                       _ L: UnsafeMutablePointer<Int8>) -> Int {
        neighbours.withUnsafeBufferPointer { nb in
            points.withUnsafeBufferPointer { pts in
                let offset = Int(-(map[key] + 1))
                let n = Int(nb[offset])
                var bestD2 = Float.greatestFiniteMagnitude
                var best = Int(nb[offset + 1])
                for j in 1...n {
                    let g = Int(nb[offset + j])
                    var d2: Float = 0
                    for i in 0..<dims {
                        let diff = scale * Float(pts[dims * g + i]) - xval[i]
                        d2 += weight[i] * diff * diff
                    }
                    if d2 < bestD2 { bestD2 = d2; best = g }
                }
                for i in 0..<dims { L[i] = (pts[dims * best + i] - 1) / 2 }
                return best
            }
        }
    }

    /// The lattice index of the levels in `L` (`dims` of them), or nil when they are off the lattice
    /// (ggml aborts there; it only happens for non-finite or overflowing input).
    @inline(__always)
    func index(of L: UnsafePointer<Int8>, bits: Int) -> Int? {
        var key = 0
        for i in 0..<dims {
            guard L[i] >= 0 && Int(L[i]) < 1 << bits else { return nil }
            key |= Int(L[i]) << (bits * i)
        }
        guard key < map.count else { return nil }
        let m = map[key]
        return m >= 0 ? Int(m) : nil
    }

    /// The indices of `runs` consecutive points of levels in `L`, or nil when one is off the lattice.
    func indices(of L: UnsafePointer<Int8>, runs: Int, bits: Int) -> [Int]? {
        var out: [Int] = []
        for k in 0..<runs {
            guard let i = index(of: L + dims * k, bits: bits) else { return nil }
            out.append(i)
        }
        return out
    }
}

// MARK: - The lattices (built on first use; Swift's lazy globals are thread-safe)

/// Byte k of a 64- or 32-bit grid entry.
@inline(__always) func gridByte<T: FixedWidthInteger>(_ v: T, _ k: Int) -> Int { Int(truncatingIfNeeded: v >> (8 * k)) & 0xFF }

/// One dequantized IQ2 grid row of 8: y[j] = d * (byte j of `gv`), negated where bit j of `signs` is set.
@inline(__always)
func storeSignedGridRow(_ y: UnsafeMutablePointer<Float>, _ d: Float, _ gv: UInt64, signs: UInt8) {
    for j in 0..<8 {
        y[j] = d * Float(gridByte(gv, j)) * (signs & (1 << UInt8(j)) != 0 ? -1 : 1)
    }
}

/// Two dequantized IQ3 grid points of 4 (one row of 8): y[j] = d * (byte j of `g1`),
/// y[j + 4] = d * (byte j of `g2`), negated where bit j (j + 4) of `signs` is set.
@inline(__always)
func storeSignedGridPair(_ y: UnsafeMutablePointer<Float>, _ d: Float, _ g1: UInt32, _ g2: UInt32, signs: UInt8) {
    for j in 0..<4 {
        y[j] = d * Float(gridByte(g1, j)) * (signs & (1 << UInt8(j)) != 0 ? -1 : 1)
        y[j + 4] = d * Float(gridByte(g2, j)) * (signs & (1 << UInt8(j + 4)) != 0 ? -1 : 1)
    }
}

/// Level of an IQ2 grid byte: 8, 25, 43 -> 0, 1, 2.
private func iq2Level(_ b: Int) -> Int { b == 8 ? 0 : b == 25 ? 1 : 2 }

let iq2xxsLattice = Lattice(count: 256, dims: 8, bits: 2, mapSize: 43692, nwant: 2) { iq2Level(gridByte(iq2xxsGrid[$0], $1)) }
let iq2xsLattice = Lattice(count: 512, dims: 8, bits: 2, mapSize: 43692, nwant: 2) { iq2Level(gridByte(iq2xsGrid[$0], $1)) }
let iq2sLattice = Lattice(count: 1024, dims: 8, bits: 2, mapSize: 43692, nwant: 1) { iq2Level(gridByte(iq2sGrid[$0], $1)) }
/// IQ1_S and IQ1_M share one: grid bytes -1, 0, 1 -> levels 0, 1, 2.
let iq1sLattice = Lattice(count: 2048, dims: 8, bits: 2, mapSize: 43692, nwant: 3) { Int(Int8(truncatingIfNeeded: gridByte(iq1sGrid[$0], $1))) + 1 }
/// IQ3_XXS: grid bytes 4, 12, ..., 52, 62 -> levels 0...7.
let iq3xxsLattice = Lattice(count: 256, dims: 4, bits: 3, mapSize: 4096, nwant: 2) { (gridByte(iq3xxsGrid[$0], $1) - 4) / 8 }
/// IQ3_S: grid bytes 1, 3, ..., 15 -> levels 0...7.
let iq3sLattice = Lattice(count: 512, dims: 4, bits: 3, mapSize: 4096, nwant: 3) { (gridByte(iq3sGrid[$0], $1) - 1) / 2 }

/// Levels 0...maxLevel of `dims` values at inverse scale `id` (l = round((id*x - 1) / 2)), into `L`,
/// and their lattice key (levels packed `bits` apart): IQ2's runs of 8 (0...2, 2 bits), IQ3's runs
/// of 4 (0...7, 3 bits).
@inline(__always)
func latticeLevels(_ xval: UnsafePointer<Float>, dims: Int, maxLevel: Int32, bits: Int, id: Float,
                   _ L: UnsafeMutablePointer<Int8>) -> Int {
    var u = 0
    for i in 0..<dims {
        let l = Swift.max(0, Swift.min(maxLevel, nearestInt(0.5 * (id * xval[i] - 1))))
        L[i] = Int8(l)
        u |= Int(l) << (bits * i)
    }
    return u
}

/// `sum` += the integer dot product of one signed IQ2 grid row of 8 (byte j of `gv`, negated where
/// bit j of `signs` is set) with 8 Q8 quants, term by term in ggml's order.
@inline(__always)
func addSignedGridDot(_ sum: inout Int32, _ gv: UInt64, _ q8: UnsafePointer<UInt8>, signs: UInt8) {
    for j in 0..<8 {
        let p = Int32(gridByte(gv, j)) * q8.i8(j)
        sum &+= signs & (1 << UInt8(j)) != 0 ? -p : p
    }
}

/// `sum` += the integer dot product of two signed IQ3 grid points of 4 (`g1` against q8[0..<4],
/// `g2` against q8[4..<8], bit j / j + 4 of `signs` negating) with 8 Q8 quants, in ggml's order.
@inline(__always)
func addSignedGridPairDot(_ sum: inout Int32, _ g1: UInt32, _ g2: UInt32, _ q8: UnsafePointer<UInt8>, signs: UInt8) {
    for j in 0..<4 {
        let p1 = Int32(gridByte(g1, j)) * q8.i8(j)
        let p2 = Int32(gridByte(g2, j)) * q8.i8(j + 4)
        sum &+= signs & (1 << UInt8(j)) != 0 ? -p1 : p1
        sum &+= signs & (1 << UInt8(j + 4)) != 0 ? -p2 : p2
    }
}

/// One dequantized IQ1 grid row of 8: y[j] = d * (signed byte j of `gv` + delta).
@inline(__always)
func storeShiftedGridRow(_ y: UnsafeMutablePointer<Float>, _ d: Float, _ gv: UInt64, delta: Float) {
    for j in 0..<8 { y[j] = d * (Float(Int8(truncatingIfNeeded: gridByte(gv, j))) + delta) }
}
