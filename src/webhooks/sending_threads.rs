//! The threads that sign and send webhook attempts, below the API's priority.
//!
//! Signing (ES512, about 0.2 ms of CPU per attempt) and the HTTP exchange are the bulk of a
//! delivery's cost, and a busy organization makes events faster than two cores can sign
//! them. On these threads (nice 10 on Linux) the scheduler gives the API the cores first:
//! under load deliveries lag and the API keeps its pace; on idle cores the backlog drains at
//! full speed. The deliverer's database work stays on the main runtime at normal priority,
//! so a low-priority thread never holds a lock the API waits for (SQLite's one writer).

use tokio::runtime::{Builder, Handle, Runtime};

/// The nice value of the sending threads (0 is normal, 19 the lowest).
const NICE: i32 = 10;

/// A runtime of low-priority threads; shut down without waiting when dropped, since it may be
/// dropped inside another runtime.
pub struct SendingThreads {
    runtime: Option<Runtime>,
    handle: Handle,
}

impl SendingThreads {
    pub fn start() -> std::io::Result<Self> {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let runtime = Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("webhook-sender")
            .on_thread_start(lower_priority)
            .enable_all()
            .build()?;
        Ok(SendingThreads {
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
        })
    }

    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }
}

impl Drop for SendingThreads {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // On Linux a nice value belongs to a thread, and `setpriority` with a thread id sets this
    // thread's alone. A failure leaves the thread at normal priority, which is only slower.
    // SAFETY: plain system calls without pointers.
    let result = unsafe {
        let thread = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, thread as libc::id_t, NICE)
    };
    if result != 0 {
        tracing::debug!(error = %std::io::Error::last_os_error(), "cannot lower a sender's priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}
