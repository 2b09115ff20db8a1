using Ledger.Access;
using static Ledger.Ui.Html;

namespace Ledger.Ui;

/// <summary>The page shell: header with the sections this key may open, the main content, the local CSS and script.</summary>
public static class Layout
{
    public static IResult Page(HttpContext http, string title, Html content, int status = StatusCodes.Status200OK)
    {
        var caller = http.Features.Get<Caller>();
        var path = http.Request.Path.Value ?? "";
        Html Link(string href, string text, bool current) =>
            current ? H($"""<li><a href="{href}" aria-current="page">{text}</a></li>""") : H($"""<li><a href="{href}">{text}</a></li>""");
        var nav = caller is null ? Html.Empty : H($"""
            <nav aria-label="Sections"><ul>
            {Link("/ui", "Lookup", path is "/ui" or "/ui/" || path.StartsWith("/ui/search"))}
            {When(caller.CustomerId is not null, Link($"/ui/customers/{Format.Segment(caller.CustomerId ?? "")}", "My account", path.StartsWith("/ui/customers")))}
            {When(caller.Has(Scopes.FinanceRead) || caller.Has(Scopes.AuditRead), Link("/ui/revenue", "Revenue", path.StartsWith("/ui/revenue")))}
            {When(caller.Has(Scopes.FinanceRead) || caller.Has(Scopes.AuditRead), Link("/ui/disputes", "Disputes", path.StartsWith("/ui/disputes")))}
            {When(caller.Has(Scopes.AuditRead), Link("/ui/audit", "Audit", path.StartsWith("/ui/audit")))}
            </ul>
            <form method="post" action="/ui/sign-out" class="sign-out"><button type="submit">Sign out</button></form>
            </nav>
            """);
        var html = H($"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{title} · Ledger</title>
            <link rel="stylesheet" href="/ui/assets/ui.css">
            <script src="/ui/assets/ui.js" defer></script>
            </head>
            <body>
            <a class="skip" href="#main">Skip to content</a>
            <header class="top"><a class="brand" href="/ui">Ledger</a>{nav}</header>
            <main id="main" tabindex="-1">
            <h1>{title}</h1>
            {content}
            </main>
            </body>
            </html>
            """);
        return new HtmlResult(html, status);
    }

    /// <summary>An error page that says what went wrong and what to do.</summary>
    public static IResult Problem(HttpContext http, int status, string title, string detail, Html? next = null) =>
        Page(http, title, H($"""<div class="notice error" role="alert"><p>{detail}</p>{next ?? Html.Empty}</div>"""), status);

    public static IResult Fragment(Html html) => new HtmlResult(html, StatusCodes.Status200OK);

    /// <summary>Serves markup with a content security policy that admits only this server's own CSS and script.</summary>
    private sealed class HtmlResult(Html html, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = status;
            http.Response.ContentType = "text/html; charset=utf-8";
            http.Response.Headers.CacheControl = "no-store";
            http.Response.Headers.XContentTypeOptions = "nosniff";
            http.Response.Headers.ContentSecurityPolicy =
                "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
            return http.Response.WriteAsync(html.Value);
        }
    }
}
