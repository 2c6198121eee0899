//! `use_swipe`: a horizontally scrolling strip of slides, driven as a carousel.
//!
//! Touch uses the browser's own scrolling: the strip follows the finger, flings with the platform's momentum and
//! snaps to a slide by CSS scroll snapping (style/product_carousel.css), which no script imitates as well on a phone.
//! A mouse has no such gesture, so for `pointerType == "mouse"` the hook drags the strip itself, measures the speed
//! at release, projects it forward and settles on the nearest slide. Buttons and arrow keys move one slide. Whatever
//! moved the strip, the current slide is read back from the scroll position. Smooth movement becomes an instant jump
//! when the viewer asks for reduced motion.

use std::collections::VecDeque;

use leptos::{
    ev::{KeyboardEvent, PointerEvent},
    html,
    prelude::*,
};
use web_sys::{HtmlElement, ScrollBehavior, ScrollToOptions};

/// How far a mouse moves before a press becomes a drag (a shorter move is a click on the card).
const DRAG_THRESHOLD_PX: f64 = 5.0;
/// The span of pointer samples the release speed is measured over.
const VELOCITY_WINDOW_MS: f64 = 100.0;
/// How long a fling keeps its release speed, in effect: the projected rest point is `speed × this` further on.
const MOMENTUM_MS: f64 = 250.0;

/// The slide nearest to `x`, given the slides' start positions in ascending order (empty: 0).
pub fn nearest_slide(starts: &[f64], x: f64) -> usize {
    starts
        .iter()
        .enumerate()
        .min_by(|(_, a), (_, b)| (*a - x).abs().total_cmp(&(*b - x).abs()))
        .map_or(0, |(index, _)| index)
}

/// Where a strip released at scroll position `x`, moving at `velocity` px/ms, comes to rest.
pub fn fling_rest(x: f64, velocity: f64) -> f64 {
    x + velocity * MOMENTUM_MS
}

/// The scroll speed (px/ms) over the samples (time ms, scroll px) of the last `VELOCITY_WINDOW_MS`.
pub fn release_velocity(samples: &VecDeque<(f64, f64)>) -> f64 {
    match (samples.front(), samples.back()) {
        (Some(&(t0, x0)), Some(&(t1, x1))) if t1 > t0 => (x1 - x0) / (t1 - t0),
        _ => 0.0,
    }
}

/// A mouse press on the strip, until release.
struct Drag {
    pointer_id: i32,
    start_x: f64,
    start_scroll: f64,
    moved: bool,
    samples: VecDeque<(f64, f64)>,
}

/// The carousel's state and its movements. Copy: handlers take it by value.
#[derive(Clone, Copy)]
pub struct UseSwipe {
    /// The slide at the strip's start (0-based).
    pub index: ReadSignal<usize>,
    /// The strip is scrolled to its end (the last slides are all in view).
    pub at_end: ReadSignal<bool>,
    /// A mouse is dragging the strip.
    pub dragging: ReadSignal<bool>,
    set_index: WriteSignal<usize>,
    set_at_end: WriteSignal<bool>,
    set_dragging: WriteSignal<bool>,
    track: NodeRef<html::Ul>,
    drag: StoredValue<Option<Drag>>,
}

/// Drives the strip `track` (its children are the slides). Measures once mounted and again on every resize.
pub fn use_swipe(track: NodeRef<html::Ul>) -> UseSwipe {
    let (index, set_index) = signal(0);
    let (at_end, set_at_end) = signal(false);
    let (dragging, set_dragging) = signal(false);
    let swipe = UseSwipe {
        index,
        at_end,
        dragging,
        set_index,
        set_at_end,
        set_dragging,
        track,
        drag: StoredValue::new(None),
    };
    Effect::new(move |_| {
        if track.get().is_some() {
            swipe.measure();
        }
    });
    let resize = window_event_listener(leptos::ev::resize, move |_| swipe.measure());
    on_cleanup(move || resize.remove());
    swipe
}

impl UseSwipe {
    /// The number shown as "n / count": the slide at the start, or the last one once the strip is at its end.
    pub fn position(&self, count: usize) -> usize {
        if self.at_end.get() {
            count
        } else {
            (self.index.get() + 1).min(count)
        }
    }

    pub fn can_go_back(&self) -> bool {
        self.index.get() > 0
    }

    pub fn can_go_forward(&self) -> bool {
        !self.at_end.get()
    }

    pub fn previous(&self) {
        let index = self.index.get_untracked();
        if index > 0 {
            self.go_to(index - 1, smooth());
        }
    }

    pub fn next(&self) {
        if !self.at_end.get_untracked() {
            self.go_to(self.index.get_untracked() + 1, smooth());
        }
    }

    /// Brings slide `index` to the start at once (no animation): to keep a slide in view when the order changes.
    pub fn jump_to(&self, index: usize) {
        self.go_to(index, ScrollBehavior::Instant);
    }

    /// Re-reads the position from the strip: on every scroll, whatever caused it.
    pub fn on_scroll(&self) {
        self.measure();
    }

    /// Arrow keys move one slide, Home and End to the ends, while the strip itself has focus.
    pub fn on_keydown(&self, ev: KeyboardEvent) {
        let Some(track) = self.track.get_untracked() else {
            return;
        };
        let strip: &web_sys::EventTarget = track.as_ref();
        let on_strip = ev.target().is_some_and(|target| &target == strip);
        if !on_strip {
            return;
        }
        match ev.key().as_str() {
            "ArrowLeft" => self.previous(),
            "ArrowRight" => self.next(),
            "Home" => self.go_to(0, smooth()),
            "End" => self.go_to(track.child_element_count() as usize, smooth()),
            _ => return,
        }
        ev.prevent_default();
    }

    pub fn on_pointerdown(&self, ev: PointerEvent) {
        if ev.pointer_type() != "mouse" || ev.button() != 0 {
            return;
        }
        let Some(track) = self.track.get_untracked() else {
            return;
        };
        self.drag.set_value(Some(Drag {
            pointer_id: ev.pointer_id(),
            start_x: f64::from(ev.client_x()),
            start_scroll: f64::from(track.scroll_left()),
            moved: false,
            samples: VecDeque::new(),
        }));
    }

    pub fn on_pointermove(&self, ev: PointerEvent) {
        let Some(track) = self.track.get_untracked() else {
            return;
        };
        let mut started = false;
        self.drag.update_value(|drag| {
            let Some(drag) = drag.as_mut().filter(|d| d.pointer_id == ev.pointer_id()) else {
                return;
            };
            let dx = f64::from(ev.client_x()) - drag.start_x;
            if !drag.moved {
                if dx.abs() < DRAG_THRESHOLD_PX {
                    return;
                }
                drag.moved = true;
                started = true;
                // The strip follows the mouse freely; snapping would pull it back under the pointer.
                let _ = HtmlElement::style(&track).set_property("scroll-snap-type", "none");
                let _ = track.set_pointer_capture(drag.pointer_id);
            }
            let scroll = drag.start_scroll - dx;
            track.set_scroll_left(scroll.round() as i32);
            let now = ev.time_stamp();
            drag.samples.push_back((now, scroll));
            while drag.samples.front().is_some_and(|&(t, _)| now - t > VELOCITY_WINDOW_MS) {
                drag.samples.pop_front();
            }
        });
        if started {
            self.set_dragging.set(true);
        }
        ev.prevent_default();
    }

    /// The end of a press: after a drag, the strip settles where the release speed carries it.
    pub fn on_pointerup(&self, ev: PointerEvent) {
        let Some(mut drag) = self.drag.try_update_value(Option::take).flatten() else {
            return;
        };
        if drag.pointer_id != ev.pointer_id() || !drag.moved {
            return;
        }
        let Some(track) = self.track.get_untracked() else {
            return;
        };
        let _ = HtmlElement::style(&track).remove_property("scroll-snap-type");
        self.set_dragging.set(false);
        // A mouse held still before release has no speed left.
        let now = ev.time_stamp();
        drag.samples.retain(|&(t, _)| now - t <= VELOCITY_WINDOW_MS);
        let rest = fling_rest(f64::from(track.scroll_left()), release_velocity(&drag.samples));
        self.go_to(nearest_slide(&slide_starts(&track), rest), smooth());
    }

    fn go_to(&self, index: usize, behavior: ScrollBehavior) {
        let Some(track) = self.track.get_untracked() else {
            return;
        };
        let starts = slide_starts(&track);
        let Some(&left) = starts.get(index.min(starts.len().saturating_sub(1))) else {
            return;
        };
        let options = ScrollToOptions::new();
        options.set_left(left);
        options.set_behavior(behavior);
        track.scroll_to_with_scroll_to_options(&options);
    }

    fn measure(&self) {
        let Some(track) = self.track.get_untracked() else {
            return;
        };
        let x = f64::from(track.scroll_left());
        let end = f64::from(track.scroll_width() - track.client_width());
        self.set_index.set(nearest_slide(&slide_starts(&track), x));
        self.set_at_end.set(x >= end - 1.0);
    }
}

/// Each slide's scroll position when it is at the strip's start.
fn slide_starts(track: &HtmlElement) -> Vec<f64> {
    let children = track.children();
    let first = children
        .item(0)
        .and_then(|child| wasm_bindgen::JsCast::dyn_into::<HtmlElement>(child).ok())
        .map_or(0, |child| child.offset_left());
    (0..children.length())
        .filter_map(|i| children.item(i))
        .filter_map(|child| wasm_bindgen::JsCast::dyn_into::<HtmlElement>(child).ok())
        .map(|child| f64::from(child.offset_left() - first))
        .collect()
}

/// Smooth, unless the viewer asks for reduced motion.
fn smooth() -> ScrollBehavior {
    let reduced = window()
        .match_media("(prefers-reduced-motion: reduce)")
        .ok()
        .flatten()
        .is_some_and(|query| query.matches());
    if reduced {
        ScrollBehavior::Instant
    } else {
        ScrollBehavior::Smooth
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_slide_wins_and_ties_go_to_the_first() {
        let starts = [0.0, 300.0, 600.0, 900.0];
        assert_eq!(nearest_slide(&starts, 0.0), 0);
        assert_eq!(nearest_slide(&starts, 149.0), 0);
        assert_eq!(nearest_slide(&starts, 151.0), 1);
        assert_eq!(nearest_slide(&starts, 150.0), 0);
        assert_eq!(nearest_slide(&starts, 5_000.0), 3);
        assert_eq!(nearest_slide(&starts, -40.0), 0);
        assert_eq!(nearest_slide(&[], 120.0), 0);
    }

    #[test]
    fn a_fling_carries_the_strip_in_its_direction() {
        assert_eq!(fling_rest(600.0, 0.0), 600.0);
        assert!(fling_rest(600.0, 2.0) > 600.0);
        assert!(fling_rest(600.0, -2.0) < 600.0);
        // A brisk flick (2 px/ms) from the first card passes the second card's midpoint on 300 px cards.
        assert_eq!(nearest_slide(&[0.0, 300.0, 600.0], fling_rest(100.0, 2.0)), 2);
    }

    #[test]
    fn release_speed_comes_from_the_recent_samples() {
        let samples: VecDeque<_> = [(0.0, 100.0), (50.0, 150.0), (100.0, 300.0)].into();
        assert_eq!(release_velocity(&samples), 2.0);
        assert_eq!(release_velocity(&VecDeque::new()), 0.0);
        let held: VecDeque<_> = [(10.0, 100.0)].into();
        assert_eq!(release_velocity(&held), 0.0);
    }
}
