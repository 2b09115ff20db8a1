using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Ledger.Hosting;

/// <summary>
/// A private PostgreSQL cluster started from the machine's own PostgreSQL binaries, used when no
/// connection string is configured. Loopback only, fsync and synchronous_commit left on (the
/// PostgreSQL defaults): an acknowledged event is a durable event.
/// </summary>
/// <remarks>
/// PostgreSQL refuses to run as root, so when the ledger runs as root every PostgreSQL binary is
/// started as the <c>postgres</c> system user, and the data folder is moved under the system temp
/// folder when that user cannot reach the requested one (CI clones under /root, for instance).
/// </remarks>
public sealed class EmbeddedPostgres : IAsyncDisposable
{
    public const string Database = "ledger";

    private readonly string _bin;
    private readonly bool _asPostgresUser;
    private bool _startedHere;

    public string DataDirectory { get; }
    public int Port { get; }
    public string ConnectionString =>
        $"Host=127.0.0.1;Port={Port};Database={Database};Username=postgres;Maximum Pool Size=64";

    private EmbeddedPostgres(string bin, string dataDirectory, int port, bool asPostgresUser)
    {
        _bin = bin;
        DataDirectory = dataDirectory;
        Port = port;
        _asPostgresUser = asPostgresUser;
    }

    /// <summary>
    /// Starts (initialising first when needed) the cluster in <paramref name="dataDirectory"/>.
    /// A cluster that is already running there is reused, and then left running on dispose.
    /// </summary>
    public static async Task<EmbeddedPostgres> StartAsync(string dataDirectory, int? port = null)
    {
        var bin = FindBinaries() ?? throw new EmbeddedPostgresException(MissingBinariesMessage);
        var asRoot = Environment.UserName == "root";
        var directory = asRoot ? ReachableByPostgresUser(dataDirectory) : dataDirectory;

        var running = RunningPort(directory);
        var pg = new EmbeddedPostgres(bin, directory, running ?? PortOrFree(port), asRoot);
        if (running is null)
        {
            await pg.InitIfNeededAsync();
            await pg.StartClusterAsync();
            pg._startedHere = true;
        }
        await pg.CreateDatabaseIfMissingAsync();
        return pg;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_startedHere) return;
        await RunAsync("pg_ctl", $"stop -D \"{DataDirectory}\" -m fast -w", throwOnError: false);
        _startedHere = false;
    }

    private async Task InitIfNeededAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "PG_VERSION"))) return;
        Directory.CreateDirectory(DataDirectory);
        await OwnByPostgresAsync(DataDirectory);
        await RunAsync("initdb",
            $"-D \"{DataDirectory}\" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8");
    }

    private async Task StartClusterAsync()
    {
        var socketDir = Path.Combine(DataDirectory, "socket");
        Directory.CreateDirectory(socketDir);
        await OwnByPostgresAsync(socketDir);
        // Durability stays on (fsync, synchronous_commit, full_page_writes); the rest suits an
        // append-heavy ledger: fewer checkpoints, larger WAL buffers (docs/performance.md).
        var options = $"-p {Port} -k '{socketDir}' -c listen_addresses=127.0.0.1 -c max_connections=200 " +
                      "-c shared_buffers=512MB -c wal_buffers=32MB -c max_wal_size=4GB -c checkpoint_timeout=15min " +
                      "-c wal_compression=on -c fsync=on -c synchronous_commit=on -c full_page_writes=on " +
                      // e.g. "-c shared_preload_libraries=pg_stat_statements" to see where the database spends its time
                      Environment.GetEnvironmentVariable("LEDGER_PG_OPTIONS");
        await RunAsync("pg_ctl",
            $"start -D \"{DataDirectory}\" -w -t 60 -l \"{Path.Combine(DataDirectory, "server.log")}\" -o \"{options}\"");
    }

    private async Task CreateDatabaseIfMissingAsync()
    {
        var admin = $"Host=127.0.0.1;Port={Port};Database=postgres;Username=postgres;Pooling=false";
        await using var conn = new Npgsql.NpgsqlConnection(admin);
        await conn.OpenAsync();
        await using var exists = new Npgsql.NpgsqlCommand("select 1 from pg_database where datname = $1", conn);
        exists.Parameters.Add(new Npgsql.NpgsqlParameter { Value = Database });
        if (await exists.ExecuteScalarAsync() is null)
        {
            await using var create = new Npgsql.NpgsqlCommand($"create database {Database}", conn);
            await create.ExecuteNonQueryAsync();
        }
    }

    /// <summary>The port of a cluster already running on this data folder, if any.</summary>
    private static int? RunningPort(string dataDirectory)
    {
        var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile)) return null;
        var lines = File.ReadAllLines(pidFile);
        if (lines.Length < 4 || !int.TryParse(lines[0], out var pid) || !int.TryParse(lines[3], out var port))
            return null;
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited ? null : port;
        }
        catch (ArgumentException)
        {
            return null; // stale pid file: pg_ctl start cleans it up
        }
    }

    private static string ReachableByPostgresUser(string requested)
    {
        var full = Path.GetFullPath(requested);
        if (CanPostgresUserWriteBeside(full)) return full;
        var key = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(full)))[..12].ToLowerInvariant();
        return Path.Combine(Path.GetTempPath(), $"ledger-pg-{key}");
    }

    private static bool CanPostgresUserWriteBeside(string directory)
    {
        var parent = Path.GetDirectoryName(directory)!;
        Directory.CreateDirectory(parent);
        var probe = Process.Start(new ProcessStartInfo("runuser",
            ["-u", "postgres", "--", "test", "-x", parent])
        { RedirectStandardError = true })!;
        probe.WaitForExit();
        return probe.ExitCode == 0;
    }

    private async Task OwnByPostgresAsync(string directory)
    {
        if (!_asPostgresUser) return;
        var chown = Process.Start("chown", ["-R", "postgres:postgres", directory])!;
        await chown.WaitForExitAsync();
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private async Task RunAsync(string tool, string arguments, bool throwOnError = true)
    {
        var path = Path.Combine(_bin, tool);
        var start = _asPostgresUser
            ? new ProcessStartInfo("runuser", $"-u postgres -- \"{path}\" {arguments}")
            : new ProcessStartInfo(path, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = Path.GetTempPath();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0 && throwOnError)
            throw new EmbeddedPostgresException(
                $"{tool} {arguments} failed ({process.ExitCode}):\n{await stdout}\n{await stderr}");
    }

    /// <summary>The preferred port when nothing listens on it, otherwise any free loopback port.</summary>
    private static int PortOrFree(int? preferred)
    {
        if (preferred is null) return FreePort();
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, preferred.Value);
            listener.Start();
            return preferred.Value;
        }
        catch (SocketException)
        {
            return FreePort();
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>PATH first, then pg_config, then the Debian layout (newest version wins).</summary>
    public static string? FindBinaries()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(dir => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")));
        if (onPath is not null) return onPath;

        var fromPgConfig = PgConfigBinDir();
        if (fromPgConfig is not null && File.Exists(Path.Combine(fromPgConfig, "initdb"))) return fromPgConfig;

        const string debian = "/usr/lib/postgresql";
        if (!Directory.Exists(debian)) return null;
        return Directory.GetDirectories(debian)
            .Select(dir => Path.Combine(dir, "bin"))
            .Where(dir => File.Exists(Path.Combine(dir, "initdb")))
            .OrderByDescending(dir => int.TryParse(Path.GetFileName(Path.GetDirectoryName(dir)), out var v) ? v : 0)
            .FirstOrDefault();
    }

    private static string? PgConfigBinDir()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("pg_config", "--bindir")
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 && output.Length > 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    public const string MissingBinariesMessage = """
        No PostgreSQL server binaries (initdb, pg_ctl) were found on PATH, through pg_config, or under
        /usr/lib/postgresql/*/bin. The ledger needs PostgreSQL 15 or newer. Either:
          - Debian/Ubuntu:  sudo apt-get install -y postgresql
          - macOS:          brew install postgresql@15   (and put its bin folder on PATH)
          - containers:     docker compose up            (runs the ledger and PostgreSQL together)
          - or point the ledger at an existing database:
                export ConnectionStrings__Ledger="Host=...;Database=ledger;Username=...;Password=..."
        """;
}

public sealed class EmbeddedPostgresException(string message) : Exception(message);
