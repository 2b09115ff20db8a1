using CsCheck;
using Ledger.Pricing;

namespace Ledger.Tests.Pricing;

public sealed class when_a_formula_is_evaluated
{
    private static readonly HashSet<string> Known =
        ["a", "b", "c", "tokens", "input_tokens", "cached_input_tokens", "output_tokens", "input", "cached_input", "output", "gpu_seconds"];

    private static decimal Eval(string formula, params (string Name, decimal Value)[] values) =>
        Formula.Compile(formula, Known).Evaluate(values.ToDictionary(v => v.Name, v => v.Value));

    [Fact]
    public void decimal_arithmetic_is_exact() =>
        Assert.Equal("0.30", Eval("a + b", ("a", 0.10m), ("b", 0.20m)).ToString(System.Globalization.CultureInfo.InvariantCulture));

    [Theory]
    [InlineData("2 + 3 * 4", 14)]
    [InlineData("(2 + 3) * 4", 20)]
    [InlineData("-2 * 3", -6)]
    [InlineData("10 - 4 - 3", 3)]
    [InlineData("100 / 4 / 5", 5)]
    [InlineData("6 × 7 − 2 ÷ 2", 41)]
    [InlineData("1_000_000 / 1000", 1000)]
    [InlineData("- -2", 2)]
    public void operators_follow_the_usual_precedence_and_associativity(string formula, int expected) =>
        Assert.Equal(expected, Eval(formula));

    [Fact]
    public void the_openai_style_cached_token_formula_prices_exactly()
    {
        // gpt-4o per token: input 2.50/M, cached input 1.25/M, output 10.00/M; cached tokens are part of input
        var amount = Eval("(input_tokens - cached_input_tokens) * input + cached_input_tokens * cached_input + output_tokens * output",
            ("input_tokens", 1200), ("cached_input_tokens", 200), ("output_tokens", 350),
            ("input", 0.0000025m), ("cached_input", 0.00000125m), ("output", 0.00001m));
        Assert.Equal(0.00625m, amount); // 1000 × 0.0000025 + 200 × 0.00000125 + 350 × 0.00001 = 0.0025 + 0.00025 + 0.0035
    }

    [Theory]
    [InlineData("min(3, 1, 2)", 1)]
    [InlineData("max(3, 1, 2)", 3)]
    [InlineData("ceil(0.2)", 1)]
    [InlineData("floor(1.8)", 1)]
    [InlineData("ceil(61, 60)", 120)]
    [InlineData("floor(119, 60)", 60)]
    [InlineData("ceil(120, 60)", 120)]
    [InlineData("max(0, min(10, 25))", 10)]
    public void functions_compute_what_their_names_say(string formula, int expected) =>
        Assert.Equal(expected, Eval(formula));

    [Theory]
    [InlineData(500, 500)]
    [InlineData(1000, 1000)]
    [InlineData(1500, 2000)]      // above 1000: the excess counts double
    [InlineData(5000, 10000)]     // above 4000: the excess counts triple (7000 + 1000 × 3)
    public void if_else_chooses_by_comparison(int tokens, int expected) =>
        Assert.Equal(expected, Eval(
            "if (tokens > 4000) 7000 + (tokens - 4000) * 3 else if (tokens > 1000) 1000 + (tokens - 1000) * 2 else tokens",
            ("tokens", tokens)));

    [Theory]
    [InlineData(2, 1, 1)]
    [InlineData(2, 3, 0)]
    [InlineData(0, 1, 0)]
    public void conditions_combine_with_and_or_not(int a, int b, int expected) =>
        Assert.Equal(expected, Eval("if ((a > 1 and b < 2) or not (a >= 0)) 1 else 0", ("a", a), ("b", b)));

    [Fact]
    public void a_result_too_large_for_a_decimal_is_an_error_not_a_wrong_number()
    {
        var error = Assert.Throws<FormulaEvaluationException>(() => Eval("a * b", ("a", decimal.MaxValue), ("b", 2)));
        Assert.Contains("overflows", error.Message);
    }

    [Fact]
    public void division_by_zero_is_an_error() =>
        Assert.Contains("divides by zero", Assert.Throws<FormulaEvaluationException>(() => Eval("a / b", ("a", 1), ("b", 0))).Message);

    [Fact]
    public void a_step_of_zero_is_an_error() =>
        Assert.Contains("step", Assert.Throws<FormulaEvaluationException>(() => Eval("ceil(a, b)", ("a", 1), ("b", 0))).Message);

    [Fact]
    public void variables_are_listed_once_in_first_use_order_and_missing_values_count_as_zero()
    {
        var formula = Formula.Compile("b * a + b", Known);
        Assert.Equal(["b", "a"], formula.Variables);
        Assert.Equal(4m, formula.Evaluate(new Dictionary<string, decimal> { ["b"] = 4 }));
    }

    [Fact]
    public void compiled_arithmetic_matches_csharp_decimal_arithmetic() =>
        Gen.Select(Gen.Decimal[-1_000_000m, 1_000_000m], Gen.Decimal[-1_000_000m, 1_000_000m], Gen.Decimal[0.001m, 1000m])
            .Sample((a, b, c) =>
                Eval("(a + b) * c - a / c", ("a", a), ("b", b), ("c", c)) == (a + b) * c - a / c);
}

public sealed class when_a_formula_is_invalid
{
    private static readonly HashSet<string> Known = ["input_tokens", "output_tokens", "input", "output"];

    [Theory]
    [InlineData("", 0, "empty")]
    [InlineData("input_tokens +", 14, "ends too early")]
    [InlineData("input_tokens output", 13, "found \"output\"")]
    [InlineData("(input_tokens * input", 21, "')'")]
    [InlineData("if (input_tokens > 1) 2", 23, "else")]
    [InlineData("if input_tokens > 1 then 2 else 3", 3, "'('")]
    [InlineData("sqrt(input_tokens)", 0, "unknown function \"sqrt\"")]
    [InlineData("ceil(input_tokens, 1, 2)", 0, "optionally a step")]
    [InlineData("1..2 * input", 0, "not a number")]
    [InlineData("input_tokens $ input", 13, "unexpected character '$'")]
    [InlineData("input_tokens * inptu", 15, "unknown variable \"inptu\"")]
    [InlineData("if (input_tokens) 1 else 2", 16, "comparison")]
    public void compiling_names_the_problem_and_its_position(string text, int position, string fragment)
    {
        var error = Assert.Throws<FormulaException>(() => Formula.Compile(text, Known));
        Assert.Equal(position, error.Position);
        Assert.Contains(fragment, error.Reason);
    }

    [Fact]
    public void an_unknown_variable_error_lists_the_variables_that_are_known() =>
        Assert.Contains("input, input_tokens, output, output_tokens",
            Assert.Throws<FormulaException>(() => Formula.Compile("tokens * input", Known)).Reason);
}
