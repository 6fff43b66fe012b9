using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Wrapper.Simulator.OpenAI;

/// <summary>The arguments the simulated model passes to a function: one value per property of the function's parameters
/// schema, by its JSON type (a string property gets the last user message, or the first of its <c>enum</c>; a number 1; a
/// boolean true; an array empty; an object empty), as the compact JSON text that <c>function.arguments</c> carries.
/// The same request always gets the same arguments.</summary>
internal static class ToolArguments
{
    private const int MaxStringChars = 200;

    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string For(ToolDefinition tool, string? lastUserMessage)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            if (tool.Parameters is { } schema && schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in properties.EnumerateObject())
                {
                    json.WritePropertyName(property.Name);
                    WriteValue(json, property.Value, lastUserMessage);
                }
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteValue(Utf8JsonWriter json, JsonElement schema, string? lastUserMessage)
    {
        if (schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("enum", out var values)
            && values.ValueKind == JsonValueKind.Array && values.GetArrayLength() > 0)
        {
            values[0].WriteTo(json);
            return;
        }

        var type = schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("type", out var t) ? t : default;
        var name = type.ValueKind switch
        {
            JsonValueKind.String => type.GetString(),
            // ["string", "null"]: the first type that is not null.
            JsonValueKind.Array => type.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()).FirstOrDefault(n => n != "null"),
            _ => null,
        };
        switch (name)
        {
            case "integer" or "number":
                json.WriteNumberValue(1);
                break;
            case "boolean":
                json.WriteBooleanValue(true);
                break;
            case "array":
                json.WriteStartArray();
                json.WriteEndArray();
                break;
            case "object":
                json.WriteStartObject();
                json.WriteEndObject();
                break;
            default:
                var text = string.IsNullOrWhiteSpace(lastUserMessage) ? "value" : lastUserMessage.Trim();
                json.WriteStringValue(text.Length <= MaxStringChars ? text : text[..MaxStringChars]);
                break;
        }
    }
}
