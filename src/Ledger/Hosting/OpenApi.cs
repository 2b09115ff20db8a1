using Microsoft.AspNetCore.OpenApi;

namespace Ledger.Hosting;

/// <summary>The OpenAPI document at /openapi/v1.json.</summary>
public static class OpenApi
{
    public static void Configure(OpenApiOptions options)
    {
    }
}
