using Ledger.Access;
using static Ledger.Ui.Html;

namespace Ledger.Ui;

/// <summary>
/// Sign-in for the pages under /ui: the API key is kept in an HttpOnly, SameSite=Strict cookie scoped to /ui and checked on
/// every request like a bearer key (a revoked key is out at once); each page carries a <see cref="RequiresAttribute"/> and is
/// decided by the same rule as the API (<see cref="AccessMiddleware.Refusal"/>). See docs/ui.md.
/// </summary>
public static class UiAccess
{
    public const string Cookie = "ledger_ui_key";

    private static readonly string[] ReadingScopes = [Scopes.CustomerRead, Scopes.FinanceRead, Scopes.AuditRead, Scopes.BillingWrite];

    public static bool IsPublic(PathString path) =>
        path.StartsWithSegments("/ui/sign-in") || path.StartsWithSegments("/ui/sign-out") || path.StartsWithSegments("/ui/assets");

    /// <summary>Authenticates the cookie and applies the page's access rule; public paths pass.</summary>
    public sealed class Middleware(RequestDelegate next, ApiKeyRing keys)
    {
        public async Task InvokeAsync(HttpContext http)
        {
            if (http.Request.Path.StartsWithSegments("/ui") && !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method) &&
                !SameOrigin(http))
            {
                // Besides SameSite=Strict: a form posted from another site (sign-in included) is refused outright.
                await Layout.Problem(http, StatusCodes.Status403Forbidden, "Refused",
                    "This form was sent from another site. Open the page on this ledger and send it from there.").ExecuteAsync(http);
                return;
            }
            if (!http.Request.Path.StartsWithSegments("/ui") || IsPublic(http.Request.Path))
            {
                await next(http);
                return;
            }
            var key = http.Request.Cookies[Cookie];
            var caller = string.IsNullOrEmpty(key) ? null : keys.Authenticate("Bearer " + key, out _);
            if (caller is null)
            {
                if (HttpMethods.IsGet(http.Request.Method) && !IsFragment(http.Request.Path))
                    http.Response.Redirect("/ui/sign-in?return=" + Uri.EscapeDataString(http.Request.Path + http.Request.QueryString));
                else
                    await Layout.Problem(http, StatusCodes.Status401Unauthorized, "Signed out",
                        "Your session has ended (signed out, or the key was revoked).", H($"""<p><a href="/ui/sign-in">Sign in again</a>.</p>""")).ExecuteAsync(http);
                return;
            }
            http.Features.Set(caller);
            if (AccessMiddleware.Refusal(http, caller) is { } refused)
            {
                await Layout.Problem(http, StatusCodes.Status403Forbidden, "Not allowed with this key", refused.Detail,
                    H($"""<p>Sign out and sign in with a key that has one of these scopes: {string.Join(", ", refused.Scopes.Append(Scopes.Admin).Distinct())}.</p>""")).ExecuteAsync(http);
                return;
            }
            await next(http);
        }

        /// <summary>No Origin header (an older client), or this ledger's own.</summary>
        private static bool SameOrigin(HttpContext http)
        {
            var origin = http.Request.Headers.Origin.ToString();
            return string.IsNullOrEmpty(origin) ||
                   string.Equals(origin, $"{http.Request.Scheme}://{http.Request.Host}", StringComparison.OrdinalIgnoreCase);
        }

        /// <summary>The live part of a page, fetched by its script: answered 401, not redirected to a form.</summary>
        private static bool IsFragment(PathString path) =>
            path.Value is { } p && (p.EndsWith("/spend", StringComparison.Ordinal) || p.EndsWith("/draft", StringComparison.Ordinal));
    }

    public static void Map(WebApplication app)
    {
        app.MapGet("/ui/sign-in", (HttpContext http, string? @return, string? signedOut) =>
            SignInPage(http, @return, signedOut is not null ? H($"""<p class="notice" role="status">You are signed out.</p>""") : Html.Empty,
                StatusCodes.Status200OK)).ExcludeFromDescription();
        app.MapPost("/ui/sign-in", SignIn).ExcludeFromDescription();
        app.MapPost("/ui/sign-out", (HttpContext http) =>
        {
            http.Response.Cookies.Delete(Cookie, new CookieOptions { Path = "/ui" });
            return Results.Redirect("/ui/sign-in?signedOut=1", preserveMethod: false);
        }).ExcludeFromDescription();
    }

    private static async Task<IResult> SignIn(HttpContext http, ApiKeyRing keys)
    {
        var form = await http.Request.ReadFormAsync();
        var key = form["key"].ToString().Trim();
        var back = form["return"].ToString();
        var caller = keys.Verify(key);
        if (caller is null)
            return SignInPage(http, back, H($"""<p class="notice error" role="alert" id="key-error">That key is unknown or revoked. Paste the whole key (it starts with <code>ldg_</code>), or ask an admin for a new one.</p>"""),
                StatusCodes.Status401Unauthorized);
        if (!ReadingScopes.Any(caller.Has))
            return SignInPage(http, back, H($"""<p class="notice error" role="alert" id="key-error">This key (scopes: {string.Join(", ", caller.Granted)}) may not read any page. Sign in with a key holding one of: {string.Join(", ", ReadingScopes)} or admin.</p>"""),
                StatusCodes.Status403Forbidden);
        http.Response.Cookies.Append(Cookie, key, new CookieOptions
        {
            HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/ui", Secure = http.Request.IsHttps, IsEssential = true
        });
        var home = caller.CustomerId is { } own && !caller.Has(Scopes.FinanceRead) && !caller.Has(Scopes.AuditRead)
            ? $"/ui/customers/{Format.Segment(own)}" : "/ui";
        return Results.Redirect(SafeReturn(back) ?? home, preserveMethod: false);
    }

    /// <summary>Only a path of these pages: never another site (an open redirect).</summary>
    private static string? SafeReturn(string? back) =>
        !string.IsNullOrEmpty(back) && back.StartsWith("/ui", StringComparison.Ordinal) && !back.StartsWith("//", StringComparison.Ordinal) &&
        !back.Contains('\\') && !back.StartsWith("/ui/sign-", StringComparison.Ordinal) ? back : null;

    private static IResult SignInPage(HttpContext http, string? back, Html message, int status) =>
        Layout.Page(http, "Sign in", H($"""
            {message}
            <form method="post" action="/ui/sign-in" class="card narrow">
              <p>Sign in with an API key. What you see follows the key's scopes, as in the API: <code>customer:read</code> shows its own
              customer, <code>finance:read</code> the revenue reports, <code>audit:read</code> the audit pages.</p>
              <label for="key">API key</label>
              <input id="key" name="key" type="password" autocomplete="off" required spellcheck="false" aria-describedby="{(status >= 400 ? "key-error key-help" : "key-help")}"{(status >= 400 ? H($""" aria-invalid="true" """) : Html.Empty)}>
              <p id="key-help" class="hint">The key is kept in a cookie only this site's pages can read, until you sign out.</p>
              <input type="hidden" name="return" value="{back ?? ""}">
              <button type="submit">Sign in</button>
            </form>
            """), status);
}
