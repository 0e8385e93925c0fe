//! The speedup chart of the audit: grouped bars, one group per worker count, one bar per `--dist`
//! mode, with the line of perfect scaling. Plain SVG, no script, the same bytes for the same input.

use crate::simulate::{Mode, Prediction};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 320.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 40.0;
const TOP: f64 = 36.0;
const COLOURS: [&str; 4] = ["#4c78a8", "#f58518", "#54a24b", "#b279a2"];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn speedup_chart(predictions: &[Prediction]) -> String {
    let labels: Vec<&str> = {
        let mut seen: Vec<&str> = Vec::new();
        for p in predictions {
            if !seen.contains(&p.label.as_str()) {
                seen.push(&p.label);
            }
        }
        seen
    };
    let top = predictions
        .iter()
        .map(|p| p.speedup)
        .fold(1.0, f64::max)
        .ceil()
        .max(2.0);
    let plot_w = WIDTH - LEFT - 16.0;
    let plot_h = HEIGHT - BOTTOM - TOP;
    let y = |v: f64| TOP + plot_h - v / top * plot_h;
    let group_w = plot_w / labels.len().max(1) as f64;
    let bar_w = group_w * 0.8 / Mode::ALL.len() as f64;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{LEFT}\" y=\"16\" font-size=\"13\">Expected speedup over the serial run, by workers and --dist mode</text>\n"
    );
    let mut tick = 0.0;
    while tick <= top + 1e-9 {
        svg.push_str(&format!(
            "<line x1=\"{LEFT}\" y1=\"{0:.1}\" x2=\"{1:.1}\" y2=\"{0:.1}\" stroke=\"#ddd\"/><text x=\"{2:.1}\" y=\"{3:.1}\" text-anchor=\"end\">{tick}×</text>\n",
            y(tick),
            LEFT + plot_w,
            LEFT - 6.0,
            y(tick) + 4.0
        ));
        tick += 1.0;
    }
    for (g, label) in labels.iter().enumerate() {
        let x0 = LEFT + g as f64 * group_w + group_w * 0.1;
        for (m, mode) in Mode::ALL.iter().enumerate() {
            let Some(p) = predictions
                .iter()
                .find(|p| p.mode == *mode && p.label == *label)
            else {
                continue;
            };
            let x = x0 + m as f64 * bar_w;
            svg.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{} workers, --dist {}: {:.2}× ({:.1} s)</title></rect>\n",
                y(p.speedup),
                bar_w - 1.0,
                (TOP + plot_h - y(p.speedup)).max(0.0),
                COLOURS[m],
                escape(label),
                mode.as_str(),
                p.speedup,
                p.wall_seconds
            ));
        }
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">-n {}</text>\n",
            x0 + group_w * 0.4,
            HEIGHT - BOTTOM + 16.0,
            escape(label)
        ));
    }
    for (m, mode) in Mode::ALL.iter().enumerate() {
        let x = LEFT + m as f64 * 110.0;
        svg.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>\n",
            HEIGHT - 14.0,
            COLOURS[m],
            x + 14.0,
            HEIGHT - 5.0,
            mode.as_str()
        ));
    }
    svg.push_str("</svg>\n");
    svg
}
