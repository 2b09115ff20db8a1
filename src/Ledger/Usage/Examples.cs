namespace Ledger.Usage;

/// <summary>Examples shown in the OpenAPI document.</summary>
internal static class Examples
{
    public const string OneEvent = """
        {"specversion":"1.0","type":"ai.usage","source":"//api.example.com/inference","id":"req_8f1c2a",
         "subject":"customer-42","time":"2026-11-27T10:00:00Z",
         "data":{"model":"gpt-4o","mode":"realtime","input_tokens":1200,"output_tokens":350,"cached_input_tokens":0}}
        """;

    public const string Batch = "[" + OneEvent + """
        ,{"specversion":"1.0","type":"ai.usage","source":"//api.example.com/images","id":"img_31",
          "subject":"customer-42","time":"2026-11-27T10:00:02Z","data":{"model":"dall-e-3","images":2,"region":"eu"}}]
        """;

    public const string Report = """
        {"accepted":998,"duplicates":1,"conflicts":0,"rejected":1,
         "errors":[{"index":17,"id":"req_x","reason":"data.input_tokens = -5 is negative: quantities must be zero or more (send corrections as their own events)"}]}
        """;

    public const string InvalidEventProblem = """
        {"type":"https://ledger.dev/problems/invalid-event","title":"The event was rejected","status":400,
         "detail":"time is required (time is when the usage happened, RFC 3339, e.g. 2026-11-27T10:00:00Z) Nothing was stored.",
         "errors":[{"index":0,"id":"req_8f1c2a","reason":"time is required (time is when the usage happened, RFC 3339, e.g. 2026-11-27T10:00:00Z)"}]}
        """;

    public const string StoredEvent = """
        {"event":{"specversion":"1.0","type":"ai.usage","source":"//api.example.com/inference","id":"req_8f1c2a",
                  "subject":"customer-42","time":"2026-11-27T10:00:00Z","datacontenttype":"application/json",
                  "data":{"model":"gpt-4o","mode":"realtime","input_tokens":1200,"output_tokens":350,"cached_input_tokens":0}},
         "ledger":{"sequence":1042,"recorded_at":"2026-11-27T10:00:00.412Z","stream":"usage-batch/0193...","content_hash":"t3q1VtrB..."},
         "rating":{"status":"rated","amount":"0.0065","currency":"USD","price_book":"standard","price_version":3,"rule":"gpt-4o",
                   "lines":[{"meter":"input_tokens","quantity":1200,"amount":"0.003"},{"meter":"output_tokens","quantity":350,"amount":"0.0035"},
                            {"meter":"cached_input_tokens","quantity":0,"amount":"0.00"}]}}
        """;
}
