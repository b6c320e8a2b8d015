//! Backend choice: the probe, the fallback reasons, the environment
//! override, and the fault-injection hook.

mod common;

use std::time::Duration;

use goro_netpoll::{Backend, BackendKind, ENV_VAR, Op, Poller, Reason, Unavailable};

fn uring_available() -> bool {
    Poller::builder().backend(Backend::IoUring).build().is_ok()
}

/// A poller of any backend still works: one socketpair round trip.
fn works(p: &mut Poller) {
    let (a, b) = common::pair();
    p.submit(Op::send(common::raw(&a), b"hi".to_vec()), 1)
        .unwrap();
    p.submit(Op::recv(common::raw(&b), Vec::with_capacity(8)), 2)
        .unwrap();
    let mut stash = Vec::new();
    common::wait_token(p, 1, &mut stash).result.unwrap();
    let got = common::wait_token(p, 2, &mut stash);
    assert_eq!(got.output.into_buf().unwrap(), b"hi");
}

#[test]
fn auto_follows_probe_and_environment() {
    let mut p = Poller::new().unwrap();
    let env = std::env::var(ENV_VAR).unwrap_or_default();
    let info = p.backend();
    match env.as_str() {
        "epoll" => assert_eq!(
            (info.kind, info.reason),
            (BackendKind::Epoll, Reason::Environment)
        ),
        "uring" => assert_eq!(
            (info.kind, info.reason),
            (BackendKind::IoUring, Reason::Environment)
        ),
        _ if uring_available() => {
            assert_eq!(
                (info.kind, info.reason),
                (BackendKind::IoUring, Reason::Probed)
            )
        }
        _ => {
            assert_eq!(info.kind, BackendKind::Epoll);
            assert!(matches!(info.reason, Reason::Fallback(_)), "{info}");
        }
    }
    works(&mut p);
}

#[test]
fn explicit_backend_overrides_environment() {
    let mut p = Poller::builder().backend(Backend::Epoll).build().unwrap();
    assert_eq!(
        (p.backend().kind, p.backend().reason),
        (BackendKind::Epoll, Reason::Requested)
    );
    works(&mut p);
    if let Some(mut p) = common::poller(Backend::IoUring) {
        assert_eq!(p.backend().kind, BackendKind::IoUring);
        assert_eq!(p.backend().reason, Reason::Requested);
        works(&mut p);
    }
}

#[test]
fn injected_eperm_falls_back_to_epoll_with_the_reason() {
    let mut p = Poller::builder()
        .use_env(false)
        .inject_uring_setup_error(libc::EPERM)
        .build()
        .unwrap();
    let info = p.backend();
    assert_eq!(info.kind, BackendKind::Epoll);
    // This machine has kernel.io_uring_disabled = 0, so EPERM reads as a
    // seccomp/LSM denial; with the sysctl set it would say Disabled(n).
    assert!(
        matches!(
            info.reason,
            Reason::Fallback(Unavailable::Denied | Unavailable::Disabled(_))
        ),
        "{info}"
    );
    assert!(info.to_string().contains("io_uring unavailable"), "{info}");
    works(&mut p);
}

#[test]
fn injected_enosys_falls_back_to_epoll() {
    let mut p = Poller::builder()
        .use_env(false)
        .inject_uring_setup_error(libc::ENOSYS)
        .build()
        .unwrap();
    assert_eq!(p.backend().kind, BackendKind::Epoll);
    assert_eq!(
        p.backend().reason,
        Reason::Fallback(Unavailable::NotSupported)
    );
    works(&mut p);
}

#[test]
fn resource_errors_are_returned_not_hidden() {
    let err = Poller::builder()
        .use_env(false)
        .inject_uring_setup_error(libc::ENOMEM)
        .build()
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOMEM));
}

#[test]
fn explicit_io_uring_does_not_fall_back() {
    let err = Poller::builder()
        .backend(Backend::IoUring)
        .inject_uring_setup_error(libc::EPERM)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::Unsupported);
    let why = err.get_ref().and_then(|e| e.downcast_ref::<Unavailable>());
    assert!(why.is_some(), "the reason travels with the error: {err}");
}

#[test]
fn knobs_build_working_rings() {
    if !uring_available() {
        return;
    }
    // Without SINGLE_ISSUER/DEFER_TASKRUN and without a registered ring fd.
    let mut p = Poller::builder()
        .backend(Backend::IoUring)
        .single_issuer(false)
        .register_ring_fd(false)
        .build()
        .unwrap();
    works(&mut p);
    // SQPOLL (needs privileges on older kernels; skip if refused).
    match Poller::builder()
        .backend(Backend::IoUring)
        .sqpoll(Duration::from_millis(10))
        .build()
    {
        Ok(mut p) => works(&mut p),
        Err(e) => eprintln!("SQPOLL refused here: {e}"),
    }
}

/// Ops and completions can be built on one thread and handed to the
/// poller's thread (a runtime's tasks do exactly that).
#[test]
fn ops_and_completions_are_send() {
    fn is_send<T: Send>() {}
    is_send::<goro_netpoll::Op>();
    is_send::<goro_netpoll::Completion>();
    is_send::<goro_netpoll::Waker>();
    let op = Op::send_vectored(0, vec![b"head".to_vec(), b"body".to_vec()]);
    std::thread::spawn(move || drop(op)).join().unwrap();
}
