//! `shoal-server`: a Redis-compatible server, started the way `redis-server` is:
//! `shoal-server [config-file] [--port 6380 --bind 127.0.0.1 ...]`.

#![allow(clippy::print_stdout)] // --version and --help answer on stdout, as redis-server does.

use shoal_engine::config::Config;
use shoal_engine::{Engine, EngineOptions};
use shoal_server::TlsContext;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-v" || a == "--version") {
        println!("Shoal server v={}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    if args.first().map(String::as_str) == Some("--check-rdb") {
        return check_rdb(args.get(1).map(String::as_str));
    }
    if args.first().is_some_and(|a| a == "--check-aof") {
        return check_aof(&args[1..]);
    }
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("Usage: shoal-server [/path/to/shoal.conf] [--directive value ...]");
        println!("       shoal-server --check-rdb <dump.rdb>");
        println!("       shoal-server --check-aof [--fix] <file.manifest|file.aof>");
        println!("Directives use Redis's names, e.g. --port 6380 --bind 127.0.0.1 --databases 16");
        return ExitCode::SUCCESS;
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,openraft=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = Config::new();
    if let Err(e) = shoal_server::apply_args(&config, &args) {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    match run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shoal-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `--check-rdb FILE`: reads the whole file as a load would (into a scratch engine with
/// room for many databases) and reports what it found, or where and why it is bad.
fn check_rdb(path: Option<&str>) -> ExitCode {
    let Some(path) = path else {
        eprintln!("Usage: shoal-server --check-rdb <dump.rdb>");
        return ExitCode::FAILURE;
    };
    println!("[offset 0] Checking RDB file {path}");
    let config = Config::new();
    let _ = config.set_startup("databases", "1024");
    let _ = config.set_startup("save", "");
    let engine = Engine::with_options(EngineOptions {
        config,
        ..EngineOptions::default()
    });
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    match engine.load_rdb(path) {
        Ok(st) => {
            println!("[offset {size}] RDB version {} checksum OK", st.version);
            println!("[offset {size}] \\o/ RDB looks OK! \\o/");
            println!("[info] {} keys read", st.keys + st.expired);
            println!("[info] {} already expired", st.expired);
            println!("[info] {} function libraries", st.libraries);
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("--- RDB ERROR DETECTED ---");
            match e {
                shoal_engine::rdb::file::RdbError::Corrupt { offset, reason, .. } => {
                    println!("[offset {offset}] {reason}");
                }
                other => println!("[offset 0] {other}"),
            }
            ExitCode::FAILURE
        }
    }
}

/// `--check-aof [--fix] PATH`: checks an AOF (a manifest or one file) as redis-check-aof
/// does; `--fix` cuts a bad tail off the last file without asking.
fn check_aof(args: &[String]) -> ExitCode {
    let fix = args.iter().any(|a| a == "--fix");
    let paths: Vec<&String> = args.iter().filter(|a| *a != "--fix").collect();
    let [path] = paths.as_slice() else {
        println!("Usage: shoal-server --check-aof [--fix] <file.manifest|file.aof>");
        return ExitCode::FAILURE;
    };
    let report = shoal_engine::aof::check::check(std::path::Path::new(path.as_str()), fix);
    print!("{}", report.text);
    if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Loads the data: the AOF when `appendonly` is yes (it takes precedence, as in Redis),
/// else the snapshot. The caller holds the loading state around it, from before the
/// listeners open.
fn load_data(engine: &Engine) -> anyhow::Result<()> {
    match engine.open_aof() {
        Ok(true) => Ok(()),
        Ok(false) => load_snapshot(engine),
        Err(e) => anyhow::bail!("Fatal error loading the append only file, exiting: {e}"),
    }
}

/// Loads `<dir>/<dbfilename>` when it exists; a file that does not load stops start-up.
fn load_snapshot(engine: &Engine) -> anyhow::Result<()> {
    let path = shoal_engine::rdb::file::configured_path(engine.inner());
    if !path.exists() {
        return Ok(());
    }
    let started = std::time::Instant::now();
    match engine.load_rdb(&path) {
        Ok(st) => {
            tracing::info!(
                "DB loaded from disk: {} keys ({} expired skipped) in {:.3} seconds",
                st.keys,
                st.expired,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Err(e) => anyhow::bail!("Fatal error loading the DB, exiting: {e}"),
    }
}

/// The first of SIGINT and SIGTERM, by name.
async fn exit_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            return tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    "SIGINT"
}

/// Binds `port` on every `bind` address (an address starting with `-` may fail), serving
/// TLS there when `tls` is given.
async fn listen_all(
    engine: &Engine,
    port: i64,
    tls: Option<Arc<TlsContext>>,
    stopped: &watch::Receiver<bool>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let mut tasks = Vec::new();
    let binds = engine.inner().config.get("bind").unwrap_or_default();
    for addr in binds.split_whitespace() {
        let (optional, addr) = match addr.strip_prefix('-') {
            Some(a) => (true, a),
            None => (false, addr),
        };
        let host = if addr.contains(':') {
            format!("[{addr}]")
        } else {
            addr.to_string()
        };
        let kind = if tls.is_some() { "tls" } else { "tcp" };
        match TcpListener::bind(format!("{host}:{port}")).await {
            Ok(listener) => {
                tracing::info!(
                    "Ready to accept connections {kind} on {}",
                    listener.local_addr()?
                );
                let (engine, stopped) = (engine.clone(), stopped.clone());
                tasks.push(match &tls {
                    None => tokio::spawn(shoal_server::serve(engine, listener, stopped)),
                    Some(ctx) => tokio::spawn(shoal_server::serve_tls(
                        engine,
                        listener,
                        ctx.clone(),
                        stopped,
                    )),
                });
            }
            Err(e) if optional => tracing::warn!("skipping optional bind {addr}: {e}"),
            Err(e) => {
                anyhow::bail!("Could not create server TCP listening socket {host}:{port}: {e}")
            }
        }
    }
    Ok(tasks)
}

/// Joins the Raft group `raft-*` describes.
async fn start_group(engine: &Engine, port: i64) -> anyhow::Result<shoal_cluster::Group> {
    let bind = engine.inner().config.get("bind").unwrap_or_default();
    let host = bind.split_whitespace().next().unwrap_or("127.0.0.1");
    let client = format!("{}:{port}", host.trim_start_matches('-'));
    let cfg = shoal_cluster::GroupConfig::from_config(engine, Some(client))
        .map_err(|e| anyhow::anyhow!(e))?;
    let id = cfg.id;
    let group = shoal_cluster::Group::start(engine.clone(), cfg)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    tracing::info!("raft: member {id} started");
    Ok(group)
}

fn run(config: Config) -> anyhow::Result<()> {
    let engine = Engine::with_options(EngineOptions {
        config,
        ..EngineOptions::default()
    });
    if let Some(e) = engine.inner().acl().startup_error() {
        anyhow::bail!("{e}");
    }
    let cfg = &engine.inner().config;
    let (port, tls_port) = (cfg.get_i64("port"), cfg.get_i64("tls-port"));
    if port == 0 && tls_port == 0 {
        anyhow::bail!("Configured to not listen anywhere, exiting.");
    }
    let tls = if tls_port > 0 {
        match TlsContext::new(&engine) {
            Ok(ctx) => Some(ctx),
            Err(e) => {
                tracing::warn!("{e}");
                anyhow::bail!("Failed to configure TLS. Check logs for more info.");
            }
        }
    } else {
        None
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(shoal_server::io_threads(&engine))
        .thread_name("shoal-net")
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let (stop, stopped) = watch::channel(false);
        let hook_stop = stop.clone();
        engine.on_shutdown(move || {
            hook_stop.send_replace(true);
        });
        let mut tasks = Vec::new();
        let binds = engine.inner().config.get("bind").unwrap_or_default();
        let binds = binds.split_whitespace().map(str::to_string).collect();
        let listeners =
            shoal_server::Listeners::new(binds, tokio::runtime::Handle::current(), stopped.clone());
        let raft_member = engine.inner().config.get_i64("raft-node-id") > 0;
        if !raft_member {
            // From the first accepted connection on, clients are answered -LOADING until
            // the data is in and the AOF (if on) is open: one that connected before the
            // load began must not see an empty server answer (nor take it for one that
            // loaded).
            engine.inner().persist.set_loading(true);
        }
        if port > 0 {
            tasks.extend(listen_all(&engine, port, None, &stopped).await?);
            listeners.adopt(false, &tasks);
        }
        if let Some(ctx) = tls {
            let tls_tasks = listen_all(&engine, tls_port, Some(ctx), &stopped).await?;
            listeners.adopt(true, &tls_tasks);
            tasks.extend(tls_tasks);
        }
        // CONFIG SET port / tls-port moves them.
        listeners.install(&engine);
        // A Raft member's data comes from its group (its own log and snapshot in
        // raft-dir); otherwise it is loaded here.
        let group = if raft_member {
            Some(start_group(&engine, port).await?)
        } else {
            let loading = engine.clone();
            let loaded = tokio::task::spawn_blocking(move || load_data(&loading)).await;
            engine.inner().persist.set_loading(false);
            loaded??;
            None
        };
        engine.start_background();
        let by_signal = tokio::select! {
            name = exit_signal() => {
                tracing::info!("Received {name} scheduling shutdown...");
                true
            }
            _ = async { let mut s = stopped.clone(); let _ = s.wait_for(|v| *v).await; } => {
                tracing::info!("User requested shutdown...");
                false
            }
        };
        if let Some(group) = &group {
            // Clients (and followers' forwarded requests) are still served meanwhile:
            // their writes wait, then go to the new leader.
            group.step_aside().await;
        }
        stop.send_replace(true);
        if by_signal {
            let exiting = engine.clone();
            let saved = tokio::task::spawn_blocking(move || {
                shoal_engine::rdb::file::save_on_exit(exiting.inner())
            })
            .await?;
            if let Err(e) = saved {
                tracing::warn!("Error trying to save the DB before exiting: {e}");
            }
        }
        for t in tasks {
            let _ = t.await;
        }
        if let Some(group) = group {
            group.shutdown().await;
        }
        engine.close_aof();
        tracing::info!("Shoal is now ready to exit, bye bye...");
        Ok(())
    })
}
