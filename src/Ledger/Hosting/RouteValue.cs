namespace Ledger.Hosting;

public static class RouteValue
{
    /// <summary>
    /// ASP.NET decodes every escape in a path segment except <c>%2F</c> (so a segment never splits in
    /// two); this finishes the job for keys that hold slashes, such as CloudEvents sources.
    /// </summary>
    /// <remarks>A key that literally contains the text "%2F" cannot be addressed in a path segment.</remarks>
    public static string Decode(string segment) => segment.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
}
