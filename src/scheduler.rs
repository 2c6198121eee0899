//! The app's executor in the browser: every effect of the reactive system and every spawned future runs from one
//! queue, in slices. A slice ends once it has run for [`SLICE_MS`] with work still waiting; the rest goes on in a new
//! task of the browser's event loop, so the browser can paint, play the video and answer a tap in between.
//!
//! Why: Leptos drives its effects with `wasm-bindgen-futures`, which runs the whole queue in one microtask. Right
//! after hydration that queue holds the first run of every effect on the page (subscriptions, the player's binding,
//! analytics), and with the hydration itself it made one task of about 0.6 s on a phone's CPU (docs/PERFORMANCE.md):
//! nothing on the page answered meanwhile, and Lighthouse counted it all as blocking time. React's scheduler yields
//! every 5 ms for the same reason. A queue that empties within a slice (a tap's few updates) runs in the microtask,
//! as before, so what a viewer sees after a tap still lands in the same frame.
//!
//! [`Queue`] is the scheduling, with time and the event loop behind [`Host`] so it is tested natively; [`install`]
//! puts it behind `leptos::task` in the browser.

use std::{
    cell::RefCell,
    collections::VecDeque,
    future::Future,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Wake, Waker},
};

/// How long a slice may run (milliseconds) before what is left waits for the browser's next turn.
pub const SLICE_MS: f64 = 5.0;

// A slice stays well under what counts as a long task (50 ms), even on a CPU four times slower.
const _: () = assert!(SLICE_MS * 4.0 < 50.0);

type LocalFuture = Pin<Box<dyn Future<Output = ()>>>;

/// The event loop the queue runs on, and its clock.
pub trait Host {
    /// Milliseconds, monotonic.
    fn now(&self) -> f64;
    /// Have [`Queue::run`] called once the current script has finished, before the browser's next task (a
    /// microtask).
    fn soon(&self);
    /// Have [`Queue::run`] called in a new task, after the browser has had its turn.
    fn later(&self);
}

/// A task's name in the queue: its slot and the slot's generation, so the waker of a finished task never wakes the
/// task that took its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TaskId {
    slot: usize,
    generation: u32,
}

/// The tasks that can make progress, shared with their wakers (which must be `Send + Sync`; in the browser there is
/// one thread).
struct Ready {
    ids: Mutex<VecDeque<TaskId>>,
    /// A run is asked for or under way: a wake needs not ask again.
    scheduled: AtomicBool,
    /// Asks for a run ([`Host::soon`]); a waker cannot hold the host itself.
    ask: Box<dyn Fn() + Send + Sync>,
}

impl Ready {
    fn push(&self, id: TaskId) {
        self.ids.lock().unwrap_or_else(|e| e.into_inner()).push_back(id);
        if !self.scheduled.swap(true, Ordering::AcqRel) {
            (self.ask)();
        }
    }

    fn pop(&self) -> Option<TaskId> {
        self.ids.lock().unwrap_or_else(|e| e.into_inner()).pop_front()
    }

    fn is_empty(&self) -> bool {
        self.ids.lock().unwrap_or_else(|e| e.into_inner()).is_empty()
    }
}

struct TaskWaker {
    id: TaskId,
    /// In the ready queue already: a second wake before the task runs adds nothing.
    queued: AtomicBool,
    ready: Arc<Ready>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.queued.swap(true, Ordering::AcqRel) {
            self.ready.push(self.id);
        }
    }
}

struct Slot {
    generation: u32,
    /// `None` while free, and while the task is being polled.
    task: Option<(LocalFuture, Arc<TaskWaker>)>,
}

/// Spawned futures and the order they run in (first woken, first run).
pub struct Queue<H> {
    host: H,
    ready: Arc<Ready>,
    slots: RefCell<Vec<Slot>>,
    free: RefCell<Vec<usize>>,
}

impl<H: Host> Queue<H> {
    /// A queue on `host`; `ask` must lead to `host.soon()` (a waker reaches the queue through it).
    pub fn new(host: H, ask: impl Fn() + Send + Sync + 'static) -> Self {
        Self {
            host,
            ready: Arc::new(Ready {
                ids: Mutex::default(),
                scheduled: AtomicBool::new(false),
                ask: Box::new(ask),
            }),
            slots: RefCell::default(),
            free: RefCell::default(),
        }
    }

    /// Adds a future; it first runs in the next run of the queue.
    pub fn spawn(&self, future: LocalFuture) {
        let slot = self.free.borrow_mut().pop();
        let mut slots = self.slots.borrow_mut();
        let slot = slot.unwrap_or_else(|| {
            slots.push(Slot {
                generation: 0,
                task: None,
            });
            slots.len() - 1
        });
        let id = TaskId {
            slot,
            generation: slots[slot].generation,
        };
        let waker = Arc::new(TaskWaker {
            id,
            queued: AtomicBool::new(false),
            ready: Arc::clone(&self.ready),
        });
        slots[slot].task = Some((future, Arc::clone(&waker)));
        drop(slots);
        waker.wake_by_ref();
    }

    /// Runs the woken tasks until none is left, or until a slice has passed with some left: then asks for a run in a
    /// new task ([`Host::later`]). Returns whether work was left for it.
    pub fn run(&self) -> bool {
        let started = self.host.now();
        while let Some(id) = self.ready.pop() {
            self.poll(id);
            if self.host.now() - started >= SLICE_MS && !self.ready.is_empty() {
                self.host.later();
                return true;
            }
        }
        self.ready.scheduled.store(false, Ordering::Release);
        false
    }

    fn poll(&self, id: TaskId) {
        let taken = {
            let mut slots = self.slots.borrow_mut();
            let slot = &mut slots[id.slot];
            if slot.generation != id.generation {
                return;
            }
            slot.task.take()
        };
        let Some((mut future, waker)) = taken else {
            return;
        };
        waker.queued.store(false, Ordering::Release);
        let finished = future
            .as_mut()
            .poll(&mut Context::from_waker(&Waker::from(Arc::clone(&waker))))
            .is_ready();
        let mut slots = self.slots.borrow_mut();
        let slot = &mut slots[id.slot];
        if finished {
            slot.generation = slot.generation.wrapping_add(1);
            self.free.borrow_mut().push(id.slot);
        } else {
            slot.task = Some((future, waker));
        }
    }
}

/// Makes the queue the executor behind `leptos::task` (and so behind every effect), before the app mounts.
#[cfg(feature = "browser")]
pub fn install() {
    use any_spawner::{CustomExecutor, Executor, PinnedFuture, PinnedLocalFuture};

    struct Browser;

    impl CustomExecutor for Browser {
        fn spawn(&self, future: PinnedFuture<()>) {
            browser::QUEUE.with(|queue| queue.spawn(future));
        }

        fn spawn_local(&self, future: PinnedLocalFuture<()>) {
            browser::QUEUE.with(|queue| queue.spawn(future));
        }

        fn poll_local(&self) {}
    }

    // Already set only if the app were mounted twice; the first executor stays.
    let _ = Executor::init_local_custom_executor(Browser);
}

#[cfg(feature = "browser")]
mod browser {
    use wasm_bindgen::{JsCast, JsValue, closure::Closure};

    use super::{Host, Queue};

    thread_local! {
        pub(super) static QUEUE: Queue<EventLoop> =
            Queue::new(EventLoop::new(), || QUEUE.with(|queue| queue.host.soon()));
    }

    fn run() {
        QUEUE.with(|queue| queue.run());
    }

    /// A microtask through a resolved promise; a new task through a `MessageChannel` (unlike a nested
    /// `setTimeout`, never held back 4 ms, nor throttled in a background tab).
    pub(super) struct EventLoop {
        resolved: js_sys::Promise,
        microtask: Closure<dyn FnMut(JsValue)>,
        port: web_sys::MessagePort,
        _task: Closure<dyn FnMut()>,
    }

    impl EventLoop {
        fn new() -> Self {
            let channel = web_sys::MessageChannel::new().expect("MessageChannel is in every browser we serve");
            let task = Closure::<dyn FnMut()>::new(run);
            channel.port1().set_onmessage(Some(task.as_ref().unchecked_ref()));
            Self {
                resolved: js_sys::Promise::resolve(&JsValue::UNDEFINED),
                microtask: Closure::new(|_| run()),
                port: channel.port2(),
                _task: task,
            }
        }
    }

    impl Host for EventLoop {
        fn now(&self) -> f64 {
            js_sys::Date::now()
        }

        fn soon(&self) {
            let _ = self.resolved.then(&self.microtask);
        }

        fn later(&self) {
            let _ = self.port.post_message(&JsValue::UNDEFINED);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{
        cell::{Cell, RefCell},
        rc::Rc,
        sync::{
            Arc,
            atomic::{AtomicUsize, Ordering},
        },
        task::Poll,
    };

    use super::{Host, Queue};

    /// A clock the tasks move (a task "works" by advancing it), and a count of the runs asked for.
    #[derive(Clone, Default)]
    struct Fake {
        now: Rc<Cell<f64>>,
        later: Rc<Cell<usize>>,
    }

    impl Host for Fake {
        fn now(&self) -> f64 {
            self.now.get()
        }
        fn soon(&self) {}
        fn later(&self) {
            self.later.set(self.later.get() + 1);
        }
    }

    fn queue() -> (Queue<Fake>, Fake, Arc<AtomicUsize>) {
        let fake = Fake::default();
        let asked = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&asked);
        let queue = Queue::new(fake.clone(), move || {
            count.fetch_add(1, Ordering::SeqCst);
        });
        (queue, fake, asked)
    }

    /// A task that works `ms` and logs its name.
    fn work(fake: &Fake, log: &Rc<RefCell<Vec<&'static str>>>, name: &'static str, ms: f64) -> super::LocalFuture {
        let (now, log) = (Rc::clone(&fake.now), Rc::clone(log));
        Box::pin(async move {
            now.set(now.get() + ms);
            log.borrow_mut().push(name);
        })
    }

    #[test]
    fn a_queue_that_fits_in_a_slice_runs_at_once_in_order() {
        let (queue, fake, asked) = queue();
        let log = Rc::default();
        for name in ["a", "b", "c"] {
            queue.spawn(work(&fake, &log, name, 1.0));
        }
        assert_eq!(asked.load(Ordering::SeqCst), 1, "one run asked for, however many tasks");
        assert!(!queue.run());
        assert_eq!(*log.borrow(), ["a", "b", "c"]);
        assert_eq!(fake.later.get(), 0, "nothing left for a later task");
        // Idle again: the next spawn asks for a run.
        queue.spawn(work(&fake, &log, "d", 1.0));
        assert_eq!(asked.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_long_queue_yields_to_the_browser_after_each_slice_and_loses_nothing() {
        let (queue, fake, asked) = queue();
        let log = Rc::default();
        let names = ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9"];
        for name in names {
            queue.spawn(work(&fake, &log, name, 2.0));
        }
        let mut slices = vec![];
        loop {
            let before = log.borrow().len();
            let left = queue.run();
            slices.push(log.borrow().len() - before);
            if !left {
                break;
            }
        }
        // 2 ms each: the third task ends a slice of 5 ms.
        assert_eq!(slices, [3, 3, 3, 1]);
        assert_eq!(fake.later.get(), 3);
        assert_eq!(*log.borrow(), names, "every task ran, in the order it was spawned");
        assert_eq!(
            asked.load(Ordering::SeqCst),
            1,
            "the later runs were the host's, not new requests"
        );
    }

    #[test]
    fn a_slice_that_ends_with_the_queue_empty_asks_for_no_later_run() {
        let (queue, fake, _) = queue();
        let log = Rc::default();
        queue.spawn(work(&fake, &log, "long", 30.0));
        assert!(!queue.run());
        assert_eq!(fake.later.get(), 0);
    }

    /// A future that is pending until `open` is set, and counts its polls; it keeps its waker for the test.
    fn gate(
        open: &Rc<Cell<bool>>,
        polls: &Rc<Cell<usize>>,
        waker: &Rc<RefCell<Option<std::task::Waker>>>,
    ) -> super::LocalFuture {
        let (open, polls, slot) = (Rc::clone(open), Rc::clone(polls), Rc::clone(waker));
        Box::pin(std::future::poll_fn(move |cx| {
            polls.set(polls.get() + 1);
            *slot.borrow_mut() = Some(cx.waker().clone());
            if open.get() { Poll::Ready(()) } else { Poll::Pending }
        }))
    }

    #[test]
    fn a_task_woken_twice_before_it_runs_runs_once_and_ends() {
        let (queue, _, asked) = queue();
        let (open, polls, waker) = (Rc::new(Cell::new(false)), Rc::default(), Rc::default());
        queue.spawn(gate(&open, &polls, &waker));
        queue.run();
        assert_eq!(polls.get(), 1);
        // Woken twice while it can still not finish: were it queued twice, this run would poll it twice.
        let w = waker.borrow().clone().expect("polled once");
        w.wake_by_ref();
        w.wake_by_ref();
        assert_eq!(
            asked.load(Ordering::SeqCst),
            2,
            "the first wake asks for a run, the second does not"
        );
        queue.run();
        assert_eq!(polls.get(), 2);
        open.set(true);
        w.wake_by_ref();
        queue.run();
        assert_eq!(polls.get(), 3);
        // Finished: a stale wake polls nothing.
        w.wake_by_ref();
        queue.run();
        assert_eq!(polls.get(), 3);
    }

    #[test]
    fn the_waker_of_a_finished_task_does_not_wake_the_task_in_its_slot() {
        let (queue, _, _) = queue();
        let (open, first_polls, first_waker) = (Rc::new(Cell::new(true)), Rc::default(), Rc::default());
        queue.spawn(gate(&open, &first_polls, &first_waker));
        queue.run();
        let stale = first_waker.borrow().clone().expect("polled");
        let (closed, polls, waker) = (Rc::new(Cell::new(false)), Rc::new(Cell::new(0)), Rc::default());
        queue.spawn(gate(&closed, &polls, &waker));
        queue.run();
        assert_eq!(polls.get(), 1);
        stale.wake();
        queue.run();
        assert_eq!(polls.get(), 1, "the new task was not polled for the old one's wake");
    }

    #[test]
    fn a_task_may_spawn_while_it_runs_and_the_new_one_runs_in_the_same_slice() {
        let (queue, fake, _) = queue();
        let queue = Rc::new(queue);
        let log: Rc<RefCell<Vec<&'static str>>> = Rc::default();
        let inner = work(&fake, &log, "child", 1.0);
        let (spawner, parent_log) = (Rc::clone(&queue), Rc::clone(&log));
        let mut inner = Some(inner);
        queue.spawn(Box::pin(async move {
            parent_log.borrow_mut().push("parent");
            spawner.spawn(inner.take().expect("once"));
        }));
        assert!(!queue.run());
        assert_eq!(*log.borrow(), ["parent", "child"]);
    }
}
