using Ledger.Hosting;
using Ledger.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Weasel.Core.Migrations;

namespace Ledger.Tests.Hosting;

/// <summary>
/// migrations/generated holds the schema SQL that Marten and Wolverine derive from the model. When the
/// model changes, this test fails until the files are regenerated:
/// <c>LEDGER_UPDATE_MIGRATIONS=1 dotnet test Ledger.sln --filter FullyQualifiedName~MigrationsMatchTheModel</c>
/// </summary>
[Collection(LedgerCollection.Name)]
public sealed class MigrationsMatchTheModel(LedgerFixture ledger)
{
    [Fact]
    public async Task the_committed_schema_sql_matches_what_the_model_generates()
    {
        var folder = Path.Combine(LedgerApp.RepoRoot(), "migrations", "generated");
        var update = Environment.GetEnvironmentVariable("LEDGER_UPDATE_MIGRATIONS") == "1";
        var scripts = new List<(string File, string Sql)>();
        foreach (var source in ledger.Factory.Services.GetServices<IDatabaseSource>())
        foreach (var database in await source.BuildDatabases())
            scripts.Add(($"{database.GetType().Name.ToLowerInvariant()}.sql", database.ToDatabaseScript().ReplaceLineEndings("\n")));

        Assert.NotEmpty(scripts);
        foreach (var (file, sql) in scripts)
        {
            var path = Path.Combine(folder, file);
            if (update) await File.WriteAllTextAsync(path, sql);
            Assert.True(File.Exists(path), $"{path} is missing; regenerate with LEDGER_UPDATE_MIGRATIONS=1 (see README)");
            Assert.True(sql == (await File.ReadAllTextAsync(path)).ReplaceLineEndings("\n"),
                $"{path} no longer matches the model; regenerate with LEDGER_UPDATE_MIGRATIONS=1 (see README) and review the diff");
        }
        Assert.Equal(scripts.Select(s => s.File).Order(), Directory.GetFiles(folder, "*.sql").Select(Path.GetFileName).Order()!);
    }
}
