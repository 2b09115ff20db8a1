using Ledger.Hosting;
using Marten;
using NodaTime;

namespace Ledger.Access;

/// <summary>
/// The first admin key. <c>Ledger:BootstrapAdminKey</c> (a key in the ledger's format) is issued if it
/// does not exist yet; without it, a database that has no keys gets a fresh admin key, printed once
/// and written to .ledger/admin-key (git-ignored).
/// </summary>
public static class Bootstrap
{
    public static async Task EnsureAdminKeyAsync(IServiceProvider services, IConfiguration configuration)
    {
        var store = services.GetRequiredService<IDocumentStore>();
        var ring = services.GetRequiredService<ApiKeyRing>();
        var clock = services.GetRequiredService<IClock>();
        await ring.ReloadAsync();
        var admin = new IssueApiKey("bootstrap admin", [Scopes.Admin], null, null, null);

        var configured = configuration["Ledger:BootstrapAdminKey"];
        if (!string.IsNullOrEmpty(configured))
        {
            if (!ApiKeySecrets.TryParse(configured, out var keyId, out var secret))
                throw new InvalidOperationException(
                    "Ledger:BootstrapAdminKey is not a ledger key (ldg_<16 hex digits>_<secret of 22+ characters>). " +
                    "Leave it unset to have one generated, or use a key printed by the ledger.");
            if (ring.Contains(keyId))
            {
                if (ring.Verify(configured) is null)
                    throw new InvalidOperationException(
                        $"Ledger:BootstrapAdminKey names key {keyId}, which exists with another secret or is revoked. Configure another key.");
                return;
            }
            await IssueApiKeyEndpoint.IssueAsync(store, ring, clock, admin, null, (keyId, secret));
            return;
        }
        if (ring.Count > 0) return;

        var issued = await IssueApiKeyEndpoint.IssueAsync(store, ring, clock, admin, null);
        var file = Path.Combine(LedgerApp.RepoRoot(), ".ledger", "admin-key");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, issued.Key + Environment.NewLine);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Console.WriteLine($"""

            Created the first admin API key (shown once; also written to {file}):

                {issued.Key}

            Use it as:  curl -H "Authorization: Bearer $(cat {file})" http://127.0.0.1:5080/v1/api-keys

            """);
    }
}
