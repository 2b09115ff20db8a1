using JasperFx;
using Ledger.Hosting;

try
{
    var app = await LedgerApp.BuildAsync(args);
    return await app.RunJasperFxCommands(args);
}
catch (EmbeddedPostgresException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

/// <summary>Entry point, visible to the test host.</summary>
public partial class Program;
