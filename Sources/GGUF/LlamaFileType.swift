/// One of llama.cpp's file types (`llama_ftype` in `include/llama.h`): the value written as
/// `general.file_type`, the name `llama-quantize` gives it, and, for the levels quantty can
/// write, the tensor type the level quantizes to before its mix's rules
/// (`llama_ftype_get_default_type`).
public struct LlamaFileType: Sendable, Hashable, CustomStringConvertible {
    /// `general.file_type`.
    public var value: UInt32
    /// `Q4_K_M`, `F16`, ...
    public var name: String
    /// The default tensor type of a level quantty's quantizer writes; nil for file types it
    /// only reads or names (the legacy mixes, GUESSED).
    public var defaultType: GGMLType?

    public var description: String { name }

    // MARK: - The table

    /// Every file type llama.cpp defines, by value. Making a type writable is setting its
    /// `defaultType` here (and a case in `QuantizationLevel`, which reads this table).
    public static let all: [LlamaFileType] = [
        .init(value: 0, name: "F32", defaultType: .f32),
        .init(value: 1, name: "F16", defaultType: .f16),
        .init(value: 2, name: "Q4_0", defaultType: .q4_0),
        .init(value: 3, name: "Q4_1", defaultType: .q4_1),
        .init(value: 4, name: "Q4_1_SOME_F16", defaultType: nil),
        .init(value: 7, name: "Q8_0", defaultType: .q8_0),
        .init(value: 8, name: "Q5_0", defaultType: .q5_0),
        .init(value: 9, name: "Q5_1", defaultType: .q5_1),
        .init(value: 10, name: "Q2_K", defaultType: .q2_K),
        .init(value: 11, name: "Q3_K_S", defaultType: .q3_K),
        .init(value: 12, name: "Q3_K_M", defaultType: .q3_K),
        .init(value: 13, name: "Q3_K_L", defaultType: .q3_K),
        .init(value: 14, name: "Q4_K_S", defaultType: .q4_K),
        .init(value: 15, name: "Q4_K_M", defaultType: .q4_K),
        .init(value: 16, name: "Q5_K_S", defaultType: .q5_K),
        .init(value: 17, name: "Q5_K_M", defaultType: .q5_K),
        .init(value: 18, name: "Q6_K", defaultType: .q6_K),
        .init(value: 19, name: "IQ2_XXS", defaultType: .iq2_xxs),
        .init(value: 20, name: "IQ2_XS", defaultType: .iq2_xs),
        .init(value: 21, name: "Q2_K_S", defaultType: .q2_K),
        .init(value: 22, name: "IQ3_XS", defaultType: .iq3_s),
        .init(value: 23, name: "IQ3_XXS", defaultType: .iq3_xxs),
        .init(value: 24, name: "IQ1_S", defaultType: .iq1_s),
        .init(value: 25, name: "IQ4_NL", defaultType: .iq4_nl),
        .init(value: 26, name: "IQ3_S", defaultType: .iq3_s),
        .init(value: 27, name: "IQ3_M", defaultType: .iq3_s),
        .init(value: 28, name: "IQ2_S", defaultType: .iq2_xs),
        .init(value: 29, name: "IQ2_M", defaultType: .iq2_s),
        .init(value: 30, name: "IQ4_XS", defaultType: .iq4_xs),
        .init(value: 31, name: "IQ1_M", defaultType: .iq1_m),
        .init(value: 32, name: "BF16", defaultType: .bf16),
        .init(value: 36, name: "TQ1_0", defaultType: .tq1_0),
        .init(value: 37, name: "TQ2_0", defaultType: .tq2_0),
        .init(value: 38, name: "MXFP4_MOE", defaultType: .mxfp4),
        .init(value: 1024, name: "GUESSED", defaultType: nil),
    ]

    /// The levels quantty can write, in table order.
    public static var writable: [LlamaFileType] { all.filter { $0.defaultType != nil } }

    /// The file type named `name` (case-insensitive).
    public static func named(_ name: String) -> LlamaFileType? {
        let n = name.uppercased()
        return all.first { $0.name == n }
    }

    /// The file type whose `general.file_type` is `value`.
    public init?(value: Int) {
        guard let t = Self.all.first(where: { Int($0.value) == value }) else { return nil }
        self = t
    }

    init(value: UInt32, name: String, defaultType: GGMLType?) {
        self.value = value; self.name = name; self.defaultType = defaultType
    }
}
