using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Ledger.Hosting;

/// <summary>An example request body for the OpenAPI document (endpoints that read their body themselves).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class RequestExampleAttribute(string contentType, string name, string json) : Attribute
{
    public string ContentType { get; } = contentType;
    public string Name { get; } = name;
    public string Json { get; } = json;
}

/// <summary>An example response body for one status code.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ResponseExampleAttribute(int status, string json) : Attribute
{
    public int Status { get; } = status;
    public string Json { get; } = json;
}

/// <summary>
/// The OpenAPI document at /openapi/v1.json. Summaries, tags and response types come from ASP.NET's
/// attributes on each endpoint; this adds the request bodies and examples the attributes above declare.
/// </summary>
public static class OpenApi
{
    private const string BearerScheme = "bearer";

    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Ledger";
            document.Info.Description = "Event-sourced usage billing ledger. Errors are RFC 7807 problem details. " +
                "Every /v1 endpoint needs 'Authorization: Bearer <API key>' (see docs/security.md).";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http, Scheme = "bearer", Description = "A ledger API key: ldg_<id>_<secret>"
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            if (operation.Description == operation.OperationId) operation.Description = null; // Wolverine's placeholder
            var rule = metadata.OfType<Ledger.Access.RequiresAttribute>().FirstOrDefault();
            if (rule is not null)
            {
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] }];
                var scopes = string.Join(", ", rule.Scopes.Append(Ledger.Access.Scopes.Admin).Distinct());
                var customers = rule.CustomerRoute is not null || rule.CustomerOwned ? "; customer:read for its own customer" : "";
                operation.Description = $"{operation.Description}\n\nAPI key scopes: {scopes}{customers}.".TrimStart();
            }
            AddRequestExamples(operation, metadata.OfType<RequestExampleAttribute>().ToList());
            foreach (var example in metadata.OfType<ResponseExampleAttribute>())
                AddResponseExample(operation, example);
            return Task.CompletedTask;
        });
    }

    private static void AddRequestExamples(OpenApiOperation operation, List<RequestExampleAttribute> examples)
    {
        if (examples.Count == 0) return;
        var body = new OpenApiRequestBody { Required = true, Content = new Dictionary<string, OpenApiMediaType>() };
        foreach (var group in examples.GroupBy(e => e.ContentType))
            body.Content[group.Key] = new OpenApiMediaType
            {
                Examples = group.ToDictionary(e => e.Name, e => (IOpenApiExample)new OpenApiExample { Value = JsonNode.Parse(e.Json) })
            };
        operation.RequestBody = body;
    }

    private static void AddResponseExample(OpenApiOperation operation, ResponseExampleAttribute example)
    {
        operation.Responses ??= new OpenApiResponses();
        var key = example.Status.ToString();
        if (!operation.Responses.TryGetValue(key, out var response))
            operation.Responses[key] = response = new OpenApiResponse { Description = key };
        if (response is not OpenApiResponse concrete) return;
        concrete.Content ??= new Dictionary<string, OpenApiMediaType>();
        var contentType = example.Status >= 400 ? "application/problem+json" : "application/json";
        if (!concrete.Content.TryGetValue(contentType, out var media))
            concrete.Content[contentType] = media = new OpenApiMediaType();
        media.Example = JsonNode.Parse(example.Json);
    }
}
