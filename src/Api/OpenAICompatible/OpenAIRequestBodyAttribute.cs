using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;
using Wrapper.Api.Contracts;

namespace Wrapper.Api.OpenAICompatible;

/// <summary>Marks an action whose body is OpenAI's chat-completions request, read as raw JSON rather than bound: the
/// OpenAPI document describes it with <see cref="OpenAIChatCompletionRequest"/> (<see cref="OpenAIRequestBodyOperationFilter"/>).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OpenAIRequestBodyAttribute : Attribute;

/// <summary>Adds the request body of <see cref="OpenAIRequestBodyAttribute"/> actions, with an example that Swagger UI's
/// "Try it out" can send.</summary>
internal sealed class OpenAIRequestBodyOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (!context.MethodInfo.IsDefined(typeof(OpenAIRequestBodyAttribute), false))
        {
            return;
        }

        var schema = context.SchemaGenerator.GenerateSchema(typeof(OpenAIChatCompletionRequest), context.SchemaRepository);
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "OpenAI's chat-completions request; every field passes through to the model service except `model` (mapped to its deployment) and, on a stream, `stream_options.include_usage` (set to true).",
            Content = new Dictionary<string, IOpenApiMediaType>
            {
                ["application/json"] = new OpenApiMediaType
                {
                    Schema = schema,
                    Example = new System.Text.Json.Nodes.JsonObject
                    {
                        ["model"] = "gpt-4o-mini",
                        ["messages"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["role"] = "user", ["content"] = "Hello!" }),
                    },
                },
            },
        };
    }
}
