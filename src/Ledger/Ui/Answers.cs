using Microsoft.AspNetCore.Http.HttpResults;

namespace Ledger.Ui;

/// <summary>
/// Pages call the API's own endpoint methods (the same queries, the same checks) and read their answers here: the JSON value,
/// or the problem's detail, which already says what to do.
/// </summary>
public static class Answers
{
    public static T? Value<T>(IResult answer) where T : class => answer is JsonHttpResult<T> { Value: { } value } ? value : null;

    public static int Status(IResult answer) => answer is IStatusCodeHttpResult { StatusCode: { } code } ? code : StatusCodes.Status200OK;

    public static string Detail(IResult answer) =>
        answer is ProblemHttpResult problem ? problem.ProblemDetails.Detail ?? problem.ProblemDetails.Title ?? "The request failed." : "The request failed.";

    /// <summary>The endpoint's problem as an error page (its status, its detail).</summary>
    public static IResult Problem(HttpContext http, IResult answer, string title, Html? next = null) =>
        Layout.Problem(http, Status(answer), title, Detail(answer), next);
}
