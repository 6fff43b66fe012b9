using System.Collections.Immutable;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Wrapper.DeployTests;

/// <summary>A C# policy expression of an APIM policy file: <c>@( … )</c> or <c>@{ … }</c>.</summary>
internal sealed record PolicyExpression(string Location, string Code, bool IsBlock)
{
    /// <summary>The expression of one attribute or element text (which must hold one).</summary>
    public static PolicyExpression Of(string text, string location)
    {
        var trimmed = text.Trim();
        if (!(trimmed.StartsWith("@(", StringComparison.Ordinal) || trimmed.StartsWith("@{", StringComparison.Ordinal)))
        {
            throw new ArgumentException($"{location} holds no policy expression: {trimmed}");
        }

        return new PolicyExpression(location, trimmed[2..^1], trimmed[1] == '{');
    }
}

/// <summary>What a stand-in APIM <c>context</c> holds when an expression runs (<see cref="PolicyExpressions.Evaluate"/>).</summary>
internal sealed record PolicyContext(
    int Status = 200,
    IReadOnlyDictionary<string, string>? ResponseHeaders = null,
    IReadOnlyDictionary<string, string>? RequestHeaders = null,
    IReadOnlyDictionary<string, object>? Variables = null,
    string? SubscriptionId = null,
    string? ProductId = null);

/// <summary>
/// Finds the policy expressions of a policy document and compiles them as C# 7.3 (the language level of
/// APIM policy expressions) against a stand-in of the APIM <c>context</c> object, so that a syntax error,
/// an unknown member, a wrong cast or a code path without <c>return</c> fails here instead of at the gateway.
/// </summary>
internal static partial class PolicyExpressions
{
    // The members of context that the policies of this repository use, with APIM's types and names.
    private const string ContextStandIn = """
        namespace Apim
        {
            using System;
            using System.Collections.Generic;

            public interface IHeaders
            {
                string GetValueOrDefault(string headerName, string defaultValue);
                bool ContainsKey(string headerName);
                bool TryGetValue(string headerName, out string[] values);
            }

            public interface IMessageBody
            {
                T As<T>(bool preserveContent = false);
            }

            public interface IUrl
            {
                string Host { get; }
                string Path { get; }
                int Port { get; }
                string Scheme { get; }
                string QueryString { get; }
            }

            public interface IRequest
            {
                IMessageBody Body { get; }
                IHeaders Headers { get; }
                string IpAddress { get; }
                string Method { get; }
                IUrl Url { get; }
            }

            public interface IResponse
            {
                IMessageBody Body { get; }
                IHeaders Headers { get; }
                int StatusCode { get; }
                string StatusReason { get; }
            }

            public interface IVariables
            {
                object this[string name] { get; }
                bool ContainsKey(string name);
                T GetValueOrDefault<T>(string name, T defaultValue = default(T));
            }

            public interface ILastError
            {
                string Source { get; }
                string Reason { get; }
                string Message { get; }
                string Scope { get; }
                string Section { get; }
                string Path { get; }
                string PolicyId { get; }
            }

            public interface ISubscription
            {
                string Id { get; }
                string Key { get; }
                string Name { get; }
                string PrimaryKey { get; }
                string SecondaryKey { get; }
            }

            public interface IProduct
            {
                string Id { get; }
                string Name { get; }
            }

            public interface IContext
            {
                DateTime Timestamp { get; }
                TimeSpan Elapsed { get; }
                Guid RequestId { get; }
                IRequest Request { get; }
                IResponse Response { get; }
                IVariables Variables { get; }
                ILastError LastError { get; }
                ISubscription Subscription { get; }
                IProduct Product { get; }
            }
        }
        """;

    // Stand-in values of context, to run an expression (see Evaluate): headers and variables as given, null
    // subscription or product when none is given.
    private const string ContextFakes = """
        namespace Apim
        {
            using System;
            using System.Collections.Generic;
            using System.Linq;

            public sealed class FakeHeaders : IHeaders
            {
                private readonly Dictionary<string, string[]> _values = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
                public FakeHeaders(string[] pairs) { for (int i = 0; i + 1 < pairs.Length; i += 2) { _values[pairs[i]] = new[] { pairs[i + 1] }; } }
                public string GetValueOrDefault(string headerName, string defaultValue) { string[] v; return _values.TryGetValue(headerName, out v) ? string.Join(",", v) : defaultValue; }
                public bool ContainsKey(string headerName) { return _values.ContainsKey(headerName); }
                public bool TryGetValue(string headerName, out string[] values) { return _values.TryGetValue(headerName, out values); }
            }

            public sealed class FakeRequest : IRequest
            {
                public IMessageBody Body { get; set; }
                public IHeaders Headers { get; set; }
                public string IpAddress { get; set; }
                public string Method { get; set; }
                public IUrl Url { get; set; }
            }

            public sealed class FakeResponse : IResponse
            {
                public IMessageBody Body { get; set; }
                public IHeaders Headers { get; set; }
                public int StatusCode { get; set; }
                public string StatusReason { get; set; }
            }

            public sealed class FakeVariables : IVariables
            {
                private readonly Dictionary<string, object> _values;
                public FakeVariables(Dictionary<string, object> values) { _values = values; }
                public object this[string name] { get { return _values[name]; } }
                public bool ContainsKey(string name) { return _values.ContainsKey(name); }
                public T GetValueOrDefault<T>(string name, T defaultValue = default(T)) { object v; return _values.TryGetValue(name, out v) ? (T)v : defaultValue; }
            }

            public sealed class FakeSubscription : ISubscription
            {
                public string Id { get; set; }
                public string Key { get; set; }
                public string Name { get; set; }
                public string PrimaryKey { get; set; }
                public string SecondaryKey { get; set; }
            }

            public sealed class FakeProduct : IProduct
            {
                public string Id { get; set; }
                public string Name { get; set; }
            }

            public sealed class FakeContext : IContext
            {
                public DateTime Timestamp { get; set; }
                public TimeSpan Elapsed { get; set; }
                public Guid RequestId { get; set; }
                public IRequest Request { get; set; }
                public IResponse Response { get; set; }
                public IVariables Variables { get; set; }
                public ILastError LastError { get; set; }
                public ISubscription Subscription { get; set; }
                public IProduct Product { get; set; }

                public static IContext Make(string[] requestHeaders, int status, string[] responseHeaders, Dictionary<string, object> variables, string subscriptionId, string productId)
                {
                    return new FakeContext
                    {
                        Timestamp = DateTime.UtcNow,
                        RequestId = Guid.NewGuid(),
                        Request = new FakeRequest { Headers = new FakeHeaders(requestHeaders), Method = "GET" },
                        Response = new FakeResponse { Headers = new FakeHeaders(responseHeaders), StatusCode = status },
                        Variables = new FakeVariables(variables),
                        Subscription = subscriptionId == null ? null : new FakeSubscription { Id = subscriptionId, Name = subscriptionId },
                        Product = productId == null ? null : new FakeProduct { Id = productId, Name = productId },
                    };
                }
            }
        }
        """;

    private static readonly ImmutableArray<MetadataReference> References =
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();

    [GeneratedRegex(@"\{\{[A-Za-z0-9._-]+\}\}")]
    private static partial Regex NamedValueReference();

    [GeneratedRegex(@"Expressions\.Expression(?<index>\d+)\(")]
    private static partial Regex MethodName();

    /// <summary>Every attribute value and element text of the document that is a policy expression.</summary>
    public static IReadOnlyList<PolicyExpression> Find(XDocument document, string fileName)
    {
        var attributes = document.Descendants()
            .SelectMany(element => element.Attributes())
            .Select(attribute => (Location: $"{fileName}: <{attribute.Parent!.Name.LocalName} {attribute.Name}>", Text: attribute.Value));
        var texts = document.Descendants()
            .Where(element => !element.HasElements)
            .Select(element => (Location: $"{fileName}: <{element.Name.LocalName}> text", Text: element.Value));
        return attributes.Concat(texts)
            .Select(candidate => (candidate.Location, Text: candidate.Text.Trim()))
            .Where(candidate => candidate.Text.StartsWith("@(", StringComparison.Ordinal) || candidate.Text.StartsWith("@{", StringComparison.Ordinal))
            .Select(candidate => new PolicyExpression(
                candidate.Location,
                candidate.Text[2..^1],
                candidate.Text[1] == '{'))
            .ToList();
    }

    /// <summary>Runs one expression against a stand-in context and returns its value (compiled as in <see cref="Compile"/>).</summary>
    public static object? Evaluate(PolicyExpression expression, PolicyContext context)
    {
        var (errors, assembly) = Build([expression], withFakes: true);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, errors));
        }

        var loaded = System.Reflection.Assembly.Load(assembly!);
        var fake = loaded.GetType("Apim.FakeContext")!.GetMethod("Make")!.Invoke(null,
        [
            Pairs(context.RequestHeaders),
            context.Status,
            Pairs(context.ResponseHeaders),
            new Dictionary<string, object>(context.Variables ?? new Dictionary<string, object>()),
            context.SubscriptionId,
            context.ProductId,
        ]);
        try
        {
            return loaded.GetType("Apim.Expressions")!.GetMethod("Expression0")!.Invoke(null, [fake]);
        }
        catch (System.Reflection.TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }
    }

    private static string[] Pairs(IReadOnlyDictionary<string, string>? headers) =>
        (headers ?? new Dictionary<string, string>()).SelectMany(pair => new[] { pair.Key, pair.Value }).ToArray();

    /// <summary>Compiler errors of the expressions (empty when every expression compiles).</summary>
    public static IReadOnlyList<string> Compile(IReadOnlyList<PolicyExpression> expressions) => Build(expressions, withFakes: false).Errors;

    private static (IReadOnlyList<string> Errors, byte[]? Assembly) Build(IReadOnlyList<PolicyExpression> expressions, bool withFakes)
    {
        var methods = expressions.Select((expression, index) =>
        {
            // Named values are substituted as text before the gateway compiles an expression.
            var code = NamedValueReference().Replace(expression.Code, "named-value");
            var body = expression.IsBlock ? code : $"return ({code});";
            // #line maps compiler errors back to the expression (file name = index, line 1 = first line).
            return string.Join(
                Environment.NewLine,
                $"public static object Expression{index}(IContext context)",
                "{",
                $"#line 1 \"{index}\"",
                body,
                "#line default",
                "}");
        });
        var source = string.Join(
            Environment.NewLine,
            "namespace Apim",
            "{",
            "using System;",
            "using System.Collections.Generic;",
            "using System.Linq;",
            "using System.Text;",
            "using System.Text.RegularExpressions;",
            "public static class Expressions",
            "{",
            string.Join(Environment.NewLine, methods),
            "}",
            "}");

        var options = new CSharpParseOptions(LanguageVersion.CSharp7_3);
        var trees = new List<SyntaxTree> { CSharpSyntaxTree.ParseText(ContextStandIn, options), CSharpSyntaxTree.ParseText(source, options) };
        if (withFakes)
        {
            trees.Add(CSharpSyntaxTree.ParseText(ContextFakes, options));
        }

        var compilation = CSharpCompilation.Create(
            "PolicyExpressions" + (withFakes ? Guid.NewGuid().ToString("N") : ""),
            trees,
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Disable));

        using var assembly = new MemoryStream();
        var result = compilation.Emit(assembly);
        var errors = result.Diagnostics
            .Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error)
            .Select(diagnostic =>
            {
                // Inside an expression, #line names it; on the method itself (e.g. a missing return), its name does.
                var span = diagnostic.Location.GetMappedLineSpan();
                if (int.TryParse(span.Path, out var index) && index < expressions.Count)
                {
                    return $"{expressions[index].Location}, expression line {span.StartLinePosition.Line + 1}: {diagnostic.GetMessage()}";
                }
                var method = MethodName().Match(diagnostic.GetMessage());
                return method.Success && int.TryParse(method.Groups["index"].Value, out index) && index < expressions.Count
                    ? $"{expressions[index].Location}: {diagnostic.GetMessage()}"
                    : diagnostic.ToString();
            })
            .ToList();
        return (errors, result.Success ? assembly.ToArray() : null);
    }
}
