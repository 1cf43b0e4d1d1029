/// The version every subcommand prints for `--version`.
enum ThrifttopVersion {
    static let number = "0.22.0"
    static var text: String { "thrifttop \(number)" }
}
