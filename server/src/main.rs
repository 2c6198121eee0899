use caravan_server::{Application, config::Config, shutdown_signal, telemetry};

const USAGE: &str = "\
caravan-server: the Caravan live-commerce server

USAGE:
    caravan-server [serve]                 run the server (the default)
    caravan-server cloudfront-public-key   print the public key CloudFront checks signed cookies with (PEM, for
                                           a key group), made from the configured or development signing key
    caravan-server backup FILE             write a consistent copy of the SQLite database to the new FILE while
                                           the server runs; to restore, stop the server and put FILE in place
                                           of the database (caravan.db in the data directory)
    caravan-server --help                  print this help

Configuration: server/defaults.toml, then caravan.toml (or CARAVAN_CONFIG), then CARAVAN_* variables.
See docs/CONFIGURATION.md.";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let command = std::env::args().nth(1);
    match command.as_deref() {
        None | Some("serve" | "cloudfront-public-key" | "backup") => {}
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            return std::process::ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("unknown command `{other}`\n\n{USAGE}");
            return std::process::ExitCode::from(2);
        }
    }
    let config = match Config::load() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    if command.as_deref() == Some("cloudfront-public-key") {
        return match caravan_server::settings::cloudfront_signing_key(&config) {
            Ok(key) => {
                eprintln!("Key pair id (configured): {}", config.cf_key_pair_id);
                print!("{}", caravan_server::access::signing_key::public_key_pem(&key));
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    if command.as_deref() == Some("backup") {
        let Some(target) = std::env::args_os().nth(2) else {
            eprintln!("backup needs the file to write: caravan-server backup FILE\n\n{USAGE}");
            return std::process::ExitCode::from(2);
        };
        return match backup(&config, std::path::Path::new(&target)).await {
            Ok(bytes) => {
                eprintln!(
                    "Backed up the database to {} ({bytes} bytes)",
                    std::path::Path::new(&target).display()
                );
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("backup failed: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    telemetry::init(&config.log);
    match serve(&config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The database copied to `target` (online: the server may be running); its size.
async fn backup(config: &Config, target: &std::path::Path) -> anyhow::Result<u64> {
    let store = caravan_server::store::Store::open(&config.database_url()).await?;
    store.backup_to(target).await?;
    Ok(std::fs::metadata(target)?.len())
}

async fn serve(config: &Config) -> anyhow::Result<()> {
    let app = Application::build(config).await?;
    for (name, value) in config.development_credentials() {
        tracing::warn!("{name} is the public development default `{value}`: set your own outside development");
    }
    tracing::info!("Caravan is running: http://{}/live/demo", app.local_addr());
    app.serve(shutdown_signal()).await
}
