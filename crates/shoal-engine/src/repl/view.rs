//! What INFO replication and ROLE show, under Redis's names.

use crate::engine::Inner;
use shoal_resp::Frame;
use std::fmt::Write as _;

fn line(out: &mut String, name: &str, value: impl std::fmt::Display) {
    let _ = write!(out, "{name}:{value}\r\n");
}

fn secs_since(now: u64, then: u64) -> i64 {
    (now.saturating_sub(then) / 1000) as i64
}

/// Writes the fields of INFO's `replication` section.
pub fn info_section(inner: &Inner, out: &mut String) {
    if crate::consensus_admin::info_lines(inner, out) {
        return;
    }
    let repl = &inner.repl;
    let now = inner.now_ms();
    let stream = &inner.effects.stream;
    let end = stream.end();
    match repl.upstream() {
        Some(u) => {
            let up = u.state == "connected";
            line(out, "role", "slave");
            line(out, "master_host", &u.host);
            line(out, "master_port", u.port);
            line(out, "master_link_status", if up { "up" } else { "down" });
            let io = if u.last_io_ms == 0 {
                -1
            } else {
                secs_since(now, u.last_io_ms)
            };
            line(out, "master_last_io_seconds_ago", io);
            let syncing = u.state == "sync";
            line(out, "master_sync_in_progress", u8::from(syncing));
            if syncing {
                let total = u.sync_total;
                line(out, "master_sync_total_bytes", total);
                line(out, "master_sync_read_bytes", u.sync_read);
                let left = if total < 0 {
                    -1
                } else {
                    total - u.sync_read as i64
                };
                line(out, "master_sync_left_bytes", left);
                let perc = if total > 0 {
                    u.sync_read as f64 * 100.0 / total as f64
                } else {
                    0.0
                };
                line(out, "master_sync_perc", format!("{perc:.2}"));
                line(out, "master_sync_last_io_seconds_ago", io.max(0));
            }
            line(out, "slave_read_repl_offset", end);
            line(out, "slave_repl_offset", end);
            if !up {
                let down = u.down_since_ms.map_or(-1, |t| secs_since(now, t));
                line(out, "master_link_down_since_seconds", down);
            }
            line(
                out,
                "slave_priority",
                inner.config.get_i64("replica-priority"),
            );
            line(
                out,
                "slave_read_only",
                u8::from(inner.config.get_bool("replica-read-only")),
            );
            line(
                out,
                "replica_announced",
                u8::from(inner.config.get_bool("replica-announced")),
            );
        }
        None => line(out, "role", "master"),
    }
    let replicas = repl.replicas();
    line(out, "connected_slaves", replicas.len());
    let min = inner.config.get_i64("min-replicas-to-write");
    if min > 0 && repl.upstream().is_none() {
        let lag = inner.config.get_i64("min-replicas-max-lag");
        line(out, "min_slaves_good_slaves", repl.good_replicas(now, lag));
    }
    for (i, r) in replicas.iter().enumerate() {
        let lag = secs_since(now, r.ack_ms);
        let _ = write!(
            out,
            "slave{i}:ip={},port={},state={},offset={},lag={lag}\r\n",
            r.ip, r.port, r.state, r.ack
        );
    }
    line(out, "master_failover_state", repl.failover_state());
    let ids = repl.ids.lock();
    line(out, "master_replid", &ids.replid);
    line(out, "master_replid2", &ids.replid2);
    line(out, "master_repl_offset", end);
    line(out, "second_repl_offset", ids.second_offset);
    drop(ids);
    let (active, first, held) = stream.info();
    line(out, "repl_backlog_active", u8::from(active));
    line(
        out,
        "repl_backlog_size",
        inner.config.get_i64("repl-backlog-size"),
    );
    line(out, "repl_backlog_first_byte_offset", first);
    line(out, "repl_backlog_histlen", held);
}

/// ROLE's reply.
pub fn role_reply(inner: &Inner) -> Frame {
    if let Some(reply) = crate::consensus_admin::role_reply(inner) {
        return reply;
    }
    let end = inner.effects.stream.end();
    match inner.repl.upstream() {
        Some(u) => {
            let offset = if u.state == "connected" {
                end as i64
            } else {
                -1
            };
            Frame::Array(vec![
                Frame::bulk("slave"),
                Frame::bulk(u.host.clone()),
                Frame::Integer(i64::from(u.port)),
                Frame::bulk(u.state),
                Frame::Integer(offset),
            ])
        }
        None => {
            let replicas = inner
                .repl
                .replicas()
                .into_iter()
                .filter(|r| r.state == "online")
                .map(|r| {
                    Frame::Array(vec![
                        Frame::bulk(r.ip),
                        Frame::bulk(r.port.to_string()),
                        Frame::bulk(r.ack.to_string()),
                    ])
                })
                .collect();
            Frame::Array(vec![
                Frame::bulk("master"),
                Frame::Integer(end as i64),
                Frame::Array(replicas),
            ])
        }
    }
}
