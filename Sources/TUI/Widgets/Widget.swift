import Foundation

/// A part of the screen: draws itself into a rectangle of the cell grid and nowhere else.
///
/// Widgets are values built for a frame (ratatui's model): what a widget shows is its state
/// and configuration, `render` only draws. Tests render one into a grid and read it as text.
/// Widgets with options (a title, a placeholder, the time) take them in a longer `render`;
/// this one uses their defaults.
public protocol Widget {
    /// Draws into `area` of `grid`; cells outside `area` are left as they were.
    func render(into grid: inout CellGrid, area: Rect)
}

extension ChatPane: Widget {}
extension Comparison: Widget {}
extension HelpOverlay: Widget {}
extension SettingsForm: Widget {}
extension StatusLine: Widget {}

extension ChatList: Widget {
    /// The list with ages counted from now.
    public func render(into grid: inout CellGrid, area: Rect) { render(into: &grid, area: area, now: Date()) }
}

extension InputBox: Widget {
    /// The focused box without a placeholder.
    public func render(into grid: inout CellGrid, area: Rect) { render(into: &grid, area: area, placeholder: "") }
}

extension ModelPicker: Widget {
    /// The picker under the model picker's title.
    public func render(into grid: inout CellGrid, area: Rect) { render(into: &grid, area: area, title: ModelPicker.modelsTitle) }
}

extension StatsPanel: Widget {
    /// The column in an area taller than a line, else the one-line bar.
    public func render(into grid: inout CellGrid, area: Rect) {
        if area.height > 1 { renderColumn(into: &grid, area: area) } else { renderBar(into: &grid, area: area) }
    }
}

/// The "terminal too small" message, drawn over the whole area.
public struct TooSmallNotice: Widget {
    public init() {}
    public func render(into grid: inout CellGrid, area: Rect) { Layout.renderTooSmall(into: &grid, area: area) }
}
