//! A digest to many never lives in a worker's memory at once: each connection holds at most one
//! claimed batch of deliveries, whatever the size of the list.

use std::time::Duration;

use tidings_newsletter::{Sender, BATCH};
use tidings_store::testing::number;

use crate::routes::newsletter::{an_hour_old_story, deliver, queue_digest_now, readers, state};
use crate::server_test;
use crate::support::Options;

const CONNECTIONS: u32 = 2;
const SUBSCRIBERS: usize = 600;

server_test!(
    a_sending_worker_holds_at_most_one_batch_per_connection,
    Options {
        smtp: true,
        configure: Some(Box::new(|c| c.mail.connections = CONNECTIONS)),
        ..Options::default()
    },
    |app| {
        let smtp = app.smtp.clone().unwrap();
        // Slow enough for the queue to be seen mid-send, fast enough for a short test.
        smtp.delay_each(Duration::from_millis(2));
        an_hour_old_story(&app.store).await;
        readers(&app.store, "reader", SUBSCRIBERS).await;
        let id = queue_digest_now(&app).await;
        let sender = Sender::new(state(&app).newsletters().clone());
        let worker = tokio::spawn(async move { sender.run_due().await });
        // Claimed deliveries are what a worker holds; any worker of the server counts apart.
        let held = "SELECT COALESCE(MAX(c), 0) FROM (SELECT COUNT(*) AS c FROM deliveries \
                    WHERE status = 'sending' GROUP BY claimed_by) held";
        let mut most = 0;
        while !worker.is_finished() {
            most = most.max(number(&app.store, held).await);
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        worker.await.unwrap().unwrap();
        assert!(most > 0, "the send was never seen in progress");
        assert!(
            most <= i64::from(CONNECTIONS) * BATCH,
            "a worker held {most} deliveries at once"
        );
        let n = deliver(&app, id).await;
        assert_eq!(n.counts.sent, SUBSCRIBERS as i64);
        assert_eq!(smtp.count(), SUBSCRIBERS);
    }
);
